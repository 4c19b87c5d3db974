/**
 * The GMM-QF batch policy iteration config (gmmqf.ts): every field once, with its default, range,
 * doc and flag (`gmmrl train gmmqf --<flag>`). GMMQF_DEFAULTS, validateGmmQfConfig and the CLI
 * flags are derived from this table (sdk/config/spec.ts).
 */
import { BACKEND_NAMES } from '../backend.js';
import { FEATURE_KINDS } from '../../models/gmmqf/features.js';
import { actionGrid, boolean, choice, documentedActionGrid, int, number, optional, string } from '../config/fields.js';
import { KEEP_BEST_FIELD, SEED_FIELD } from '../config/common-fields.js';
import { defaultsOf, defineSpec, rule, validateConfig, type ConfigOf } from '../config/spec.js';

/** The documented grid of a Box environment (Pendulum-v1, MountainCarContinuous-v0); none otherwise. */
export const ACTION_GRID_RULE = rule(
  "the env's documented grid (Pendulum-v1: torques -2,-1,0,1,2; MountainCarContinuous-v0: forces -1,0,1)",
  (c) => documentedActionGrid(c['env']),
);

export const FEATURES_FIELD = choice(['auto', ...FEATURE_KINDS], {
  doc: "feature map before normalization ('auto': Acrobot-v1's 4-dimensional angle state for Acrobot-v1, else identity)",
  default: 'auto',
  expected: `'auto' or one of ${FEATURE_KINDS.map((k) => `'${k}'`).join(', ')}`,
});

export const GMMQF_SPEC = defineSpec('gmmqf', {
  env: string({
    doc: 'environment id (gmmrl envs lists them); a continuous action space is discretized through --action-grid',
    default: 'CartPole-v1',
    expected: 'an environment id such as "CartPole-v1"',
  }),
  features: FEATURES_FIELD,
  actionGrid: optional(
    actionGrid({
      doc: 'continuous-action envs: N evenly spaced points, or explicit values "v1,v2,…" (the Q-function\'s actions)',
      default: ACTION_GRID_RULE,
    }),
  ),
  steps: int({ doc: 'total environment steps to collect', default: 30000, min: 1 }),
  seed: SEED_FIELD,
  components: int({ doc: 'number of Gaussians K', default: 32, min: 1, max: 4096 }),
  metric: choice(['ai', 'bw'], { doc: 'SPD metric of the covariances: ai (affine-invariant) or bw (Bures-Wasserstein)', default: 'ai' }),
  backend: choice(BACKEND_NAMES, { doc: 'TensorFlow.js backend', default: 'auto' }),
  gamma: number({ doc: 'discount factor', default: 0.99, min: 0, lt: 1 }),
  stepsPerIteration: int({ doc: 'environment steps collected per policy iteration', default: 1000, min: 1 }),
  warmupSteps: int({
    doc: 'uniformly random steps before the first iteration (they fix the normalization; at most steps)',
    default: 2000,
    min: 1,
  }),
  epsStart: number({ doc: 'ε of the ε-greedy behaviour policy at the start', default: 1, min: 0, max: 1 }),
  epsEnd: number({ doc: 'ε at the end of its linear decay', default: 0.05, min: 0, max: 1 }),
  epsDecayFraction: number({ doc: 'fraction of the steps over which ε decays from --eps-start to --eps-end', default: 0.5, gt: 0, max: 1 }),
  sweeps: int({
    doc: 'target refreshes per policy evaluation: each recomputes the Bellman targets with the current Q, refits the weights and takes --gd-steps',
    default: 10,
    min: 1,
  }),
  gdSteps: int({
    doc: 'Riemannian gradient steps per sweep (with Armijo line search, after the ridge refit of the weights)',
    default: 5,
    min: 1,
  }),
  armijoT0: number({ doc: 'Armijo initial step size', default: 1, gt: 0 }),
  armijoBeta: number({ doc: 'Armijo shrink factor', default: 0.5, gt: 0, lt: 1 }),
  armijoC: number({ doc: 'Armijo sufficient-decrease constant', default: 1e-4, gt: 0, lt: 1 }),
  maxTransitions: int({ doc: 'most recent transitions kept for the batch', default: 50000, min: 64 }),
  initVariance: number({ doc: 'initial covariance σ₀² (normalized units)', default: 1, gt: 0 }),
  refitWeights: boolean({ doc: 'refit the weights by ridge least squares at the start of each sweep', default: true }),
  ridge: number({ doc: 'ridge λ of the refit (relative to the mean diagonal)', default: 1e-3, min: 0 }),
  evalEpisodes: int({ doc: 'greedy evaluation episodes after each iteration', default: 5, min: 1 }),
  keepBest: KEEP_BEST_FIELD,
});

/** The GMM-QF training config: one field per row of GMMQF_SPEC (docs, defaults and ranges there). */
export interface GmmQfTrainConfig extends ConfigOf<typeof GMMQF_SPEC.fields> {}

/** The defaults (frozen). */
export const GMMQF_DEFAULTS: GmmQfTrainConfig = defaultsOf(GMMQF_SPEC);

/** Validates a full config; every message names the field, the value and the valid range. */
export function validateGmmQfConfig(c: GmmQfTrainConfig): void {
  validateConfig(GMMQF_SPEC, c);
}
