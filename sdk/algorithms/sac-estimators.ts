/**
 * Actor-gradient estimators for SAC with squashed Gaussian (mixture) policies ([MRP];
 * REFERENCES.md §2). Each estimator is a surrogate loss whose gradient is the
 * estimator; the SAC actor objective per state s, with entropy scale α, is
 *   J(s) = E_{a ~ π(·|s)} [ α log π(a|s) − Q(s, a) ].
 *
 *   rp        SG-RP: one reparameterized sample (K = 1).
 *   mrp       SGM-MRP: one reparameterized sample a_k per component, the component choice
 *             marginalized: Σ_k w_k(s)·[α log π(a_k|s) − Q(s, a_k)]. Gradients reach w exactly.
 *   (usgm)    USGM-RP: the same sum with w fixed uniform — the policy "usgm" with estimator "rp".
 *   halfrp    SGM-HalfRP: k ~ w(s), a = a_k reparameterized, plus the likelihood-ratio term of the
 *             component choice: log w_k(s)·sg(f − b).
 *   gumbelrp  SGM-GumbelRP: straight-through Gumbel-softmax h over k at temperature τ_g
 *             (forward: hard one-hot; backward: the softmax's gradient), u = Σ_k h_k u_k. Biased.
 *   lr        SGM-LR: ∇ log π(a|s)·sg(f − b) with a ~ π not reparameterized.
 * with f = α log π(a|s) − Q(s, a) and sg the stop-gradient. The baseline b of halfrp and lr: M
 * samples per state (`samples`, default 4), b_m = the mean of f over the other M − 1 samples of
 * the same state (leave-one-out, so the estimator stays unbiased): "the mean of Q over a few sampled
 * actions at s", with the entropy term included.
 *
 * Noise comes in from the caller (host Rng): eps [B, M, A] standard normal, uniform [B, M] for the
 * component choice (halfrp, lr), gumbel [B, K] standard Gumbel (gumbelrp).
 */
import * as tf from '@tensorflow/tfjs-core';
import { UnknownNameError, ValueError, describeValue } from '../../contract/errors.js';
import type { SquashedGaussianMixture } from '../../models/mixture-actor/distribution.js';
import { stopGradient, withoutGradient } from '../../models/actor-critic/tf-mlp.js';

export const POLICY_KINDS = ['sg', 'sgm', 'usgm'] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];
export const ESTIMATORS = ['rp', 'mrp', 'halfrp', 'gumbelrp', 'lr'] as const;
export type EstimatorName = (typeof ESTIMATORS)[number];

/** Which estimators each policy takes. */
const ALLOWED_ESTIMATORS: Record<PolicyKind, readonly EstimatorName[]> = {
  sg: ['rp', 'lr'],
  sgm: ['mrp', 'halfrp', 'gumbelrp', 'lr'],
  usgm: ['rp'],
};

/** The name used in papers and tables, e.g. "SGM-MRP". */
export function methodName(policy: PolicyKind, estimator: EstimatorName): string {
  const est = { rp: 'RP', mrp: 'MRP', halfrp: 'HalfRP', gumbelrp: 'GumbelRP', lr: 'LR' }[estimator];
  return `${policy.toUpperCase()}-${est}`;
}

export function checkEstimator(policy: PolicyKind, estimator: EstimatorName, K: number, where: string): void {
  if (!(POLICY_KINDS as readonly string[]).includes(policy)) {
    throw new UnknownNameError(`${where}: policy = ${describeValue(policy)} is unknown; expected one of ${POLICY_KINDS.join(', ')}.`);
  }
  if (!(ESTIMATORS as readonly string[]).includes(estimator)) {
    throw new UnknownNameError(`${where}: estimator = ${describeValue(estimator)} is unknown; expected one of ${ESTIMATORS.join(', ')}.`);
  }
  const ok = ALLOWED_ESTIMATORS[policy];
  if (!ok.includes(estimator)) {
    throw new ValueError(
      `${where}: estimator ${JSON.stringify(estimator)} does not apply to policy ${JSON.stringify(policy)}; use one of ${ok.join(', ')} (e.g. --policy sgm --estimator mrp, --policy sg --estimator rp).`,
    );
  }
  if (policy === 'sg' && K !== 1)
    throw new ValueError(
      `${where}: policy "sg" is a single squashed Gaussian, so components must be 1; got ${K}. Use --policy sgm for a mixture.`,
    );
}

/** Points per state M for this estimator (eps is [B, M, A]). */
export function estimatorPoints(estimator: EstimatorName, policy: PolicyKind, K: number, samples: number): number {
  if (estimator === 'halfrp' || estimator === 'lr') return samples;
  if (estimator === 'gumbelrp') return K; // one sample per component, mixed by the one-hot
  return policy === 'sg' ? 1 : K;
}

export interface EstimatorInput {
  dist: SquashedGaussianMixture;
  /** min_j Q_j(s, tanh u) for u [B, M, A] → [B, M]; gradients reach u. */
  q: (u: tf.Tensor3D) => tf.Tensor2D;
  /** The same without gradients. */
  qConst: (u: tf.Tensor3D) => tf.Tensor2D;
  alpha: tf.Scalar;
  eps: tf.Tensor3D;
  uniform?: tf.Tensor2D;
  gumbel?: tf.Tensor2D;
  temperature: number;
}

export interface EstimatorOutput {
  /** The surrogate to minimize (its gradient is the estimator). */
  loss: tf.Scalar;
  /** This estimator's estimate of E[log π(a|s)] (for the entropy-scale update and logs). */
  logProb: tf.Scalar;
}

/** mean over states of Σ_m c_m·x_m ([B, M] → scalar). */
function weightedMean(c: tf.Tensor2D | null, x: tf.Tensor2D): tf.Scalar {
  return tf.mean(tf.sum(c ? tf.mul(c, x) : x, 1));
}

/** Leave-one-out mean over the M samples of each state: [B, M] → [B, M]. */
function leaveOneOut(f: tf.Tensor2D): tf.Tensor2D {
  const M = f.shape[1];
  if (M < 2) throw new ValueError(`the leave-one-out baseline needs at least 2 samples per state; got ${M}.`);
  return tf.div(tf.sub(tf.sum(f, 1, true), f), M - 1) as tf.Tensor2D;
}

/** rp (K = 1) and the marginalized estimators (mrp; usgm's rp): Σ_k w_k [α log π(a_k) − Q(a_k)]. */
function marginalized(x: EstimatorInput, weighted: boolean): EstimatorOutput {
  const u = x.dist.rsampleEach(x.eps);
  const lp = x.dist.logProb(u);
  const f = tf.sub(tf.mul(x.alpha, lp), x.q(u)) as tf.Tensor2D;
  const w = weighted ? x.dist.weights() : null;
  return { loss: weightedMean(w, f), logProb: weightedMean(w, lp) };
}

function halfRp(x: EstimatorInput): EstimatorOutput {
  const onehot = x.dist.chooseComponents(x.uniform!);
  const u = x.dist.rsampleChosen(onehot, x.eps);
  const lp = x.dist.logProb(u);
  const f = tf.sub(tf.mul(x.alpha, lp), x.q(u)) as tf.Tensor2D;
  const fc = stopGradient(f) as tf.Tensor2D;
  const [B, , K] = onehot.shape;
  const logWk = tf.sum(tf.mul(onehot, tf.reshape(x.dist.logW, [B, 1, K])), 2) as tf.Tensor2D; // [B, M]
  const surrogate = tf.add(f, tf.mul(logWk, tf.sub(fc, leaveOneOut(fc)))) as tf.Tensor2D;
  return { loss: tf.mean(surrogate), logProb: tf.mean(lp) };
}

function likelihoodRatio(x: EstimatorInput): EstimatorOutput {
  const onehot = x.dist.chooseComponents(x.uniform!);
  const u = stopGradient(x.dist.rsampleChosen(onehot, x.eps)) as tf.Tensor3D;
  const lp = x.dist.logProb(u);
  const f = tf.sub(tf.mul(x.alpha, stopGradient(lp)), x.qConst(u)) as tf.Tensor2D;
  return { loss: tf.mean(tf.mul(lp, tf.sub(f, leaveOneOut(f)))), logProb: tf.mean(lp) };
}

function gumbelRp(x: EstimatorInput): EstimatorOutput {
  const uk = x.dist.rsampleEach(x.eps); // [B, K, A]
  const [B, K, A] = uk.shape;
  const g = tf.div(tf.add(x.dist.logW, x.gumbel!), x.temperature);
  const soft = tf.softmax(g) as tf.Tensor2D;
  const hard = withoutGradient((gg) => tf.cast(tf.oneHot(tf.argMax(gg, 1), K), 'float32'), g);
  const h = tf.add(hard, tf.sub(soft, stopGradient(soft))); // value: exactly the one-hot; gradient: softmax's
  const u = tf.reshape(tf.sum(tf.mul(tf.reshape(h, [B, K, 1]), uk), 1), [B, 1, A]) as tf.Tensor3D;
  const lp = x.dist.logProb(u);
  const f = tf.sub(tf.mul(x.alpha, lp), x.q(u)) as tf.Tensor2D;
  return { loss: tf.mean(f), logProb: tf.mean(lp) };
}

/** The surrogate loss of `estimator` for `policy` (inside tf.tidy / variableGrads). */
export function actorLoss(policy: PolicyKind, estimator: EstimatorName, x: EstimatorInput): EstimatorOutput {
  switch (estimator) {
    case 'rp':
      return marginalized(x, policy === 'usgm'); // sg: one sample (K = 1); usgm: Σ_k (1/K)[…], weights constant
    case 'mrp':
      return marginalized(x, true);
    case 'halfrp':
      return halfRp(x);
    case 'lr':
      return likelihoodRatio(x);
    case 'gumbelrp':
      return gumbelRp(x);
  }
}
