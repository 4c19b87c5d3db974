/**
 * The S-GMM-QF config (sgmmqf.ts): every field once, with its default, range, doc and flag
 * (`gmmrl train sgmmqf --<flag>`). SGMMQF_DEFAULTS, validateSgmmqfConfig and the CLI flags are
 * derived from this table (sdk/config/spec.ts). S-GMM-QF trains in float64 typed arrays, not
 * TensorFlow.js: it has no backend field.
 */
import { actionGrid, int, number, optional, string } from '../config/fields.js';
import { EVAL_EPISODES_FIELD, KEEP_BEST_FIELD, SEED_FIELD, warmupRule } from '../config/common-fields.js';
import { defaultsOf, defineSpec, validateConfig, type ConfigOf } from '../config/spec.js';
import { ACTION_GRID_RULE, FEATURES_FIELD } from './gmmqf-spec.js';

export const SGMMQF_SPEC = defineSpec('sgmmqf', {
  env: string({
    doc: 'environment id (gmmrl envs lists them); a continuous action space is discretized through --action-grid',
    default: 'CartPole-v1',
    expected: 'an environment id such as "CartPole-v1"',
  }),
  steps: int({ doc: 'total environment steps (warm-up included)', default: 100000, min: 1 }),
  seed: SEED_FIELD,
  components: int({ doc: 'number of Gaussians K', default: 50, min: 1, max: 4096 }),
  factors: int({ doc: 'Hadamard factors J of the weights (1 = dense)', default: 3, min: 1, max: 8 }),
  rho: number({ doc: 'l2 regularization ρ on the factors (sparsity)', default: 1e-4, min: 0 }),
  lrMeans: number({ doc: 'Adam learning rate of the means', default: 1e-3, gt: 0 }),
  lrCovariances: number({ doc: 'Riemannian Adam learning rate of the covariances (affine-invariant metric)', default: 1e-3, gt: 0 }),
  lrFactors: number({ doc: 'Adam learning rate of the weight factors', default: 1e-3, gt: 0 }),
  beta1: number({ doc: 'Adam β1', default: 0.9, min: 0, lt: 1 }),
  beta2: number({ doc: 'Adam β2', default: 0.999, min: 0, lt: 1 }),
  adamEps: number({ doc: 'Adam ε', default: 1e-8, gt: 0 }),
  batchSize: int({ doc: 'mini-batch size T (the newest transition always included)', default: 64, min: 1, max: 65536 }),
  bufferCapacity: int({
    doc: 'replay buffer capacity',
    default: 10000,
    flag: 'buffer',
    min: 1,
    also: (v, x) => v >= (x.config['batchSize'] as number),
    expected: (x) => `an integer ≥ ${x.name('batchSize')} (${x.config['batchSize']})`,
  }),
  gamma: number({ doc: 'discount factor', default: 0.99, min: 0, lt: 1 }),
  targetUpdate: int({
    doc: 'targets from a frozen copy refreshed every N steps (0 = the current Q with a stop-gradient, the paper)',
    default: 0,
    min: 0,
    expected: 'an integer ≥ 0 (0 = current Q)',
  }),
  warmupSteps: int({
    doc: 'uniformly random steps before learning (they fix the normalization)',
    default: warmupRule(1000, 2),
    min: 2,
    also: (v, x) => v <= (x.config['steps'] as number),
    expected: (x) => `an integer in [2, ${x.ref('steps')}]`,
  }),
  epsStart: number({ doc: 'ε of the ε-greedy behaviour policy at the start', default: 1, min: 0, max: 1 }),
  epsEnd: number({ doc: 'ε at the end of its linear decay', default: 0.05, min: 0, max: 1 }),
  epsDecayFraction: number({ doc: 'fraction of the steps over which ε decays from --eps-start to --eps-end', default: 0.1, gt: 0, max: 1 }),
  initVariance: number({ doc: 'initial covariance σ₀² (normalized units)', default: 1, gt: 0 }),
  initFactorStd: number({ doc: 'std of the i.i.d. normal factor initialization', default: 0.1, gt: 0 }),
  evalEvery: int({ doc: 'greedy evaluation every N steps (and at the last step)', default: 5000, min: 1 }),
  evalEpisodes: EVAL_EPISODES_FIELD,
  keepBest: KEEP_BEST_FIELD,
  sparsityThreshold: number({
    doc: 'weights with |ξ| ≤ threshold·max|ξ| count as zero and are snapped to 0 in handed-out models',
    default: 1e-6,
    min: 0,
    lt: 1,
  }),
  features: FEATURES_FIELD,
  actionGrid: optional(
    actionGrid({
      doc: 'continuous-action envs: N evenly spaced points, or explicit values "v1,v2,…" (the Q-function\'s actions)',
      default: ACTION_GRID_RULE,
    }),
  ),
});

/** The S-GMM-QF training config: one field per row of SGMMQF_SPEC (docs, defaults and ranges there). */
export interface SgmmqfTrainConfig extends ConfigOf<typeof SGMMQF_SPEC.fields> {}

/** The defaults (frozen). */
export const SGMMQF_DEFAULTS: SgmmqfTrainConfig = defaultsOf(SGMMQF_SPEC);

/** Validates a full config; every message names the field, the value and the valid range. */
export function validateSgmmqfConfig(c: SgmmqfTrainConfig): void {
  validateConfig(SGMMQF_SPEC, c);
}
