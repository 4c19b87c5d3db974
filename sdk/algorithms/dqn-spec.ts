/**
 * The DQN / Double DQN config (dqn.ts): every field once, with its default, range, doc and flag
 * (`gmmrl train dqn --<flag>`). DQN_DEFAULTS, validateDqnConfig and the CLI flags are derived from
 * this table (sdk/config/spec.ts).
 */
import { BACKEND_NAMES } from '../backend.js';
import { checkActionGrid } from '../../exporters/onnx/qhead.js';
import { actionGrid, boolean, choice, int, intList, number, optional, string } from '../config/fields.js';
import { EVAL_EPISODES_FIELD, KEEP_BEST_FIELD, SEED_FIELD, warmupRule } from '../config/common-fields.js';
import { defaultsOf, defineSpec, validateConfig, type ConfigOf } from '../config/spec.js';
import { ACTION_GRID_RULE } from './gmmqf-spec.js';

export const DQN_SPEC = defineSpec(
  'dqn',
  {
    env: string({
      doc: 'environment id (gmmrl envs lists them); a continuous action space needs --action-grid',
      default: 'CartPole-v1',
      expected: 'an environment id such as "CartPole-v1"',
    }),
    steps: int({ doc: 'total environment steps (warm-up included)', default: 100000, min: 1 }),
    seed: SEED_FIELD,
    backend: choice(BACKEND_NAMES, { doc: 'TensorFlow.js backend', default: 'auto' }),
    hidden: intList({
      doc: 'hidden layer widths, comma-separated, ReLU after each ("" is a linear Q-function)',
      default: [128, 128],
      minLength: 0,
      maxLength: 16,
      min: 1,
      max: 65536,
      example: '128,128',
      expected: 'an array of at most 16 layer widths, each an integer in [1, 65536] (e.g. [128, 128])',
    }),
    double: boolean({ doc: 'Double DQN targets (false: plain DQN, max over the target network)', default: false }),
    learningRate: number({ doc: 'Adam learning rate', default: 1e-3, gt: 0, flag: 'lr', example: '1e-3' }),
    gamma: number({ doc: 'discount factor', default: 0.99, min: 0, lt: 1 }),
    batchSize: int({ doc: 'mini-batch size', default: 64, min: 1, max: 65536 }),
    bufferSize: int({
      doc: 'replay buffer capacity (the oldest transitions are overwritten first)',
      default: 50000,
      min: 1,
      flag: 'buffer',
    }),
    warmupSteps: int({
      doc: 'uniformly random steps before learning (they fix the normalization)',
      default: warmupRule(1000),
      min: 1,
      also: (v, x) => v < (x.config['steps'] as number),
      expected: (x) => `an integer below ${x.ref('steps')} (learning starts after the warm-up)`,
    }),
    epsStart: number({ doc: 'ε of the ε-greedy behaviour policy at the start', default: 1, min: 0, max: 1 }),
    epsEnd: number({ doc: 'ε at the end of its linear decay', default: 0.05, min: 0, max: 1 }),
    epsDecayFraction: number({
      doc: 'fraction of the steps over which ε decays from --eps-start to --eps-end',
      default: 0.1,
      gt: 0,
      max: 1,
    }),
    trainEvery: int({ doc: 'one gradient step every N environment steps after the warm-up', default: 1, min: 1 }),
    targetUpdate: int({ doc: 'hard target-network update every N steps', default: 500, min: 1 }),
    huberDelta: number({ doc: 'Huber loss threshold δ', default: 1, gt: 0 }),
    gradClip: number({
      doc: 'clip of the global gradient norm (Infinity disables clipping)',
      default: 10,
      gt: 0,
      infinity: true,
      expected: '(0, ∞], Infinity disables clipping',
    }),
    obsStdFloor: number({ doc: 'floor of the normalization std: scale = max(std, floor)', default: 1e-3, gt: 0, example: '1e-3' }),
    evalEvery: int({ doc: 'greedy evaluation every N steps after the warm-up (and at the last step)', default: 5000, min: 1 }),
    evalEpisodes: EVAL_EPISODES_FIELD,
    keepBest: KEEP_BEST_FIELD,
    actionGrid: optional(
      actionGrid({
        doc: 'continuous-action envs: N evenly spaced points, or explicit values "v1,v2,…" (one network output per point)',
        default: ACTION_GRID_RULE,
      }),
    ),
  },
  [
    (c, x) => {
      if (c.actionGrid === undefined) return;
      const g = c.actionGrid;
      const size = g.shape.reduce((a, b) => a * b, 1);
      const A = g.values.length / size;
      if (!(Number.isSafeInteger(A) && A >= 2)) {
        x.fail('actionGrid', `a multiple (≥ 2 rows) of the action size ${size} = prod(actionGrid.shape) of values`);
      }
      checkActionGrid(g, A, x.where);
    },
  ],
);

/** The DQN training config: one field per row of DQN_SPEC (docs, defaults and ranges there). */
export interface DqnTrainConfig extends ConfigOf<typeof DQN_SPEC.fields> {}

/** The defaults (frozen). */
export const DQN_DEFAULTS: DqnTrainConfig = defaultsOf(DQN_SPEC);

/** Validates a full config; every message names the field, the value and the valid range. */
export function validateDqnConfig(c: DqnTrainConfig): void {
  validateConfig(DQN_SPEC, c);
}
