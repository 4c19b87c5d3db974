/**
 * The update step of online sparse GMM Q-functions, S-GMM-QF ([S-GMM-QF]; REFERENCES.md §1). One
 * `update` runs its phases in this order (bench/gmmqf-updates.ts times them one by one):
 *
 *   sample              T transitions from the replay buffer, the newest always included
 *   computeTargets      y = r + γ(1 − terminated)·max_a Q(s′, a), from the current Q (stop-gradient)
 *                       or, with targetUpdate = n > 0, from a frozen copy refreshed every n updates
 *   lossAndGradients    L = 1/T Σ (y − Q(s, a))² + ρ Σ_j ‖Υ_j‖²_F and its Euclidean gradients
 *   stepFactorsAndMeans Adam on the Hadamard factors Υ (then Ξ = Υ_1 ⊙ … ⊙ Υ_J) and on the means
 *   stepCovariances     Riemannian (affine-invariant) Adam on the covariances
 *   refreshPrecisions   the precision factors W_k = L_k⁻¹ the kernel reads, and the target copy
 *
 * The loss and gradients are models/gmmqf/online-loss.ts's fused float64 kernel (math); this file
 * owns the optimizer state and changes the parameters. The replay buffer holds normalized features.
 */
import { precisionFactors } from '../../../models/gmmqf/reference.js';
import { OnlineBellmanKernel, type KernelParams } from '../../../models/gmmqf/online-loss.js';
import { factorGradients, factorPenalty, hadamardProduct, type HadamardFactors } from '../../../models/gmmqf/hadamard.js';
import { Adam, AdamMoments, SpdAdam } from '../../optim/radam.js';
import { ValueError } from '../../../contract/errors.js';
import type { StateReader, StateWriter } from '../training-state.js';
import type { ReplayBuffer, TransitionBatch } from '../../replay.js';
import type { Rng } from '../../util/rng.js';

/** Hyperparameters of the update (the sgmmqf config fields of the same names). */
export interface SgmmqfLearnerOptions {
  /** Mini-batch size T (the newest transition always included). */
  batchSize: number;
  /** Discount γ. */
  gamma: number;
  /** l2 regularization ρ on the factors. */
  rho: number;
  /** Adam learning rates for the means, covariances (Riemannian) and factors; β1, β2, ε. */
  lrMeans: number;
  lrCovariances: number;
  lrFactors: number;
  beta1: number;
  beta2: number;
  adamEps: number;
  /** 0: targets from the current Q; n > 0: from a frozen copy refreshed every n updates. */
  targetUpdate: number;
}

/** The trainable parameters; the learner updates these arrays in place. */
export interface SgmmqfLearnerInit {
  /** [K, D] in normalized units. */
  means: Float64Array;
  /** [K, D, D], SPD. */
  covariances: Float64Array;
  /** The J Hadamard factors [J, K, A] of the weights. */
  factors: HadamardFactors;
}

/** The covariance step: SpdAdam by default; anything with the same `step` (the bench passes SpdAdamReference). */
export interface CovarianceOptimizer {
  step(covariances: Float64Array, egrad: ArrayLike<number>): void;
}

/** Optimizer state and the update of S-GMM-QF. */
export class SgmmqfLearner {
  readonly K: number;
  readonly D: number;
  readonly A: number;
  readonly T: number;
  readonly means: Float64Array;
  readonly covariances: Float64Array;
  readonly factors: HadamardFactors;
  /** Ξ = Υ_1 ⊙ … ⊙ Υ_J [K, A], kept equal to the product of the factors. */
  readonly weights: Float64Array;
  /** The fused loss kernel (its `grads` hold the last gradients). */
  readonly kernel: OnlineBellmanKernel;
  /** What the kernel reads: the live means, weights and precision factors. */
  readonly live: KernelParams & { precisionFactors: Float64Array };
  readonly covOptimizer: CovarianceOptimizer;
  /** Gradient updates applied. */
  updates = 0;
  /** The current minibatch (after `sample`). */
  batch: TransitionBatch | undefined;
  /** Its actions as indices and its targets (after `computeTargets`). */
  readonly actions: Int32Array;
  readonly targets: Float64Array;
  private readonly target: KernelParams;
  private readonly adamMeans: Adam;
  private readonly adamFactors: Adam;
  private readonly gFactors: Float64Array;
  private readonly idx: Int32Array<ArrayBuffer>;
  private readonly nextMax: Float64Array;

  constructor(
    init: SgmmqfLearnerInit,
    readonly opts: SgmmqfLearnerOptions,
    covOptimizer?: CovarianceOptimizer,
  ) {
    const { J, K, A } = init.factors;
    const D = init.means.length / K;
    const T = opts.batchSize;
    this.K = K;
    this.D = D;
    this.A = A;
    this.T = T;
    this.means = init.means;
    this.covariances = init.covariances;
    this.factors = init.factors;
    this.weights = hadamardProduct(init.factors);
    this.live = { means: this.means, weights: this.weights, precisionFactors: precisionFactors(this.covariances, K, D) };
    // frozen target copy (targetUpdate > 0); with 0 the targets read the live parameters
    this.target =
      opts.targetUpdate > 0
        ? { means: this.means.slice(), weights: this.weights.slice(), precisionFactors: this.live.precisionFactors.slice() }
        : this.live;
    this.kernel = new OnlineBellmanKernel(K, D, A, T);
    const adam = { beta1: opts.beta1, beta2: opts.beta2, eps: opts.adamEps };
    this.adamMeans = new Adam(K * D, { lr: opts.lrMeans, ...adam });
    this.adamFactors = new Adam(J * K * A, { lr: opts.lrFactors, ...adam });
    this.covOptimizer = covOptimizer ?? new SpdAdam(K, D, { lr: opts.lrCovariances, ...adam });
    this.gFactors = new Float64Array(J * K * A);
    this.idx = new Int32Array(T);
    this.actions = new Int32Array(T);
    this.targets = new Float64Array(T);
    this.nextMax = new Float64Array(T);
  }

  /** One update on a minibatch from `buffer` (drawn with `rng`); returns its loss with the factor penalty. */
  update(buffer: ReplayBuffer, rng: Rng): number {
    this.sample(buffer, rng);
    this.computeTargets();
    const loss = this.lossAndGradients();
    this.stepFactorsAndMeans();
    this.stepCovariances();
    this.refreshPrecisions();
    return loss;
  }

  /** T transitions uniformly with replacement, the newest first. */
  sample(buffer: ReplayBuffer, rng: Rng): void {
    buffer.sampleIndices(this.T, rng, { includeNewest: true }, this.idx);
    this.batch = buffer.gather(this.idx, this.batch);
  }

  /** y = r + γ(1 − terminated)·max_a Q_target(s′, a) for the current minibatch. */
  computeTargets(): void {
    const b = this.batch!;
    this.kernel.maxQ(this.target, b.nextObs, this.T, this.nextMax);
    for (let t = 0; t < this.T; t++) {
      this.actions[t] = b.actions[t]!;
      this.targets[t] = b.rewards[t]! + (b.terminated[t] ? 0 : this.opts.gamma * this.nextMax[t]!);
    }
  }

  /** The Bellman loss (gradients into `kernel.grads`) plus the factor penalty ρ Σ_j ‖Υ_j‖²_F. */
  lossAndGradients(): number {
    const loss = this.kernel.lossAndGradients(this.live, this.batch!.obs, this.actions, this.targets);
    return loss + factorPenalty(this.factors, this.opts.rho);
  }

  /** Adam on the factors (with the penalty's gradient), Ξ recomputed, Adam on the means. */
  stepFactorsAndMeans(): void {
    factorGradients(this.factors, this.kernel.grads.weights, this.opts.rho, this.gFactors);
    this.adamFactors.step(this.factors.values, this.gFactors);
    hadamardProduct(this.factors, this.weights);
    this.adamMeans.step(this.means, this.kernel.grads.means);
  }

  /** The Riemannian Adam step of the covariances. */
  stepCovariances(): void {
    this.covOptimizer.step(this.covariances, this.kernel.grads.covariances);
  }

  /** New precision factors for the kernel; counts the update and refreshes the target copy every targetUpdate updates. */
  refreshPrecisions(): void {
    this.live.precisionFactors = precisionFactors(this.covariances, this.K, this.D);
    this.updates++;
    if (this.opts.targetUpdate > 0 && this.updates % this.opts.targetUpdate === 0) this.refreshTarget();
  }

  /**
   * The exact state for a training snapshot: the parameters (means, covariances, factors), the
   * three optimizers' moments and step counts, the update count and the frozen target copy. The
   * weights and precision factors are recomputed from them by the same functions, so bit for bit.
   */
  saveState(w: StateWriter): void {
    w.f64('means', this.means);
    w.f64('covariances', this.covariances);
    w.f64('factors', this.factors.values);
    w.set('updates', this.updates);
    const opts = { adam_means: this.adamMeans, adam_factors: this.adamFactors, adam_covariances: this.covOptimizer } as const;
    for (const [name, opt] of Object.entries(opts)) {
      if (!(opt instanceof AdamMoments))
        throw new ValueError(`SgmmqfLearner.saveState: the ${name} optimizer keeps no state to save (not an Adam).`);
      const st = opt.state();
      w.set(`${name}.t`, st.t);
      w.f64(`${name}.m`, st.m);
      w.f64(`${name}.v`, st.v);
    }
    if (this.target !== this.live) {
      w.f64('target.means', this.target.means);
      w.f64('target.weights', this.target.weights);
      w.f64('target.precision_factors', this.target.precisionFactors);
    }
  }

  /** Continues from saveState (on a learner built with the same sizes and options). */
  restoreState(r: StateReader): void {
    const { K, D, A } = this;
    this.means.set(r.f64('means', K * D));
    this.covariances.set(r.f64('covariances', K * D * D));
    this.factors.values.set(r.f64('factors', this.factors.values.length));
    hadamardProduct(this.factors, this.weights);
    this.live.precisionFactors = precisionFactors(this.covariances, K, D);
    this.updates = r.int('updates');
    const opts = { adam_means: this.adamMeans, adam_factors: this.adamFactors, adam_covariances: this.covOptimizer } as const;
    for (const [name, opt] of Object.entries(opts)) {
      if (!(opt instanceof AdamMoments))
        throw new ValueError(`SgmmqfLearner.restoreState: the ${name} optimizer keeps no state (not an Adam).`);
      opt.restoreState({ t: r.int(`${name}.t`), m: r.f64(`${name}.m`), v: r.f64(`${name}.v`) });
    }
    if (this.target !== this.live) {
      (this.target.means as Float64Array).set(r.f64('target.means', K * D));
      (this.target.weights as Float64Array).set(r.f64('target.weights', K * A));
      (this.target.precisionFactors as Float64Array).set(r.f64('target.precision_factors', this.live.precisionFactors.length));
    }
  }

  /** Q values of n normalized feature rows z [n, D] under the live parameters, into out [n, A]. */
  qValues(z: ArrayLike<number>, n: number, out?: Float64Array): Float64Array {
    return this.kernel.qValues(this.live, z, n, out);
  }

  private refreshTarget(): void {
    if (this.target === this.live) return;
    (this.target.means as Float64Array).set(this.means);
    (this.target.weights as Float64Array).set(this.weights);
    (this.target.precisionFactors as Float64Array).set(this.live.precisionFactors);
  }
}
