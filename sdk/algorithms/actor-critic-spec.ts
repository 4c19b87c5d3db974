/**
 * The fields every actor-critic config shares (SAC, TD3, Gamid-PG; actor-critic.ts runs their
 * loop), declared once: each algorithm's spec (sac-spec.ts, td3-spec.ts, gamid-spec.ts) starts
 * from OFF_POLICY_FIELDS and adds its own.
 */
import { BACKEND_NAMES } from '../backend.js';
import { choice, int, intList, number, optional, string } from '../config/fields.js';
import { EVAL_EPISODES_FIELD, KEEP_BEST_FIELD, SEED_FIELD, warmupRule } from '../config/common-fields.js';
import { defaultsOf, defineSpec, validateConfig, type ConfigOf } from '../config/spec.js';

export const OFF_POLICY_FIELDS = {
  env: string({
    doc: 'environment id with continuous actions (gmmrl envs lists them)',
    default: 'Pendulum-v1',
    expected: 'an environment id such as "Pendulum-v1"',
  }),
  steps: int({ doc: 'total environment steps (warm-up included)', default: 30000, min: 1 }),
  seed: SEED_FIELD,
  backend: choice(BACKEND_NAMES, { doc: 'TensorFlow.js backend', default: 'auto' }),
  hidden: intList({
    doc: 'hidden widths of the actor and critic MLPs, comma-separated, ReLU after each',
    default: [256, 256],
    minLength: 1,
    maxLength: 16,
    min: 1,
    max: 65536,
    example: '256,256',
    expected: 'at least one and at most 16 layer widths in [1, 65536], e.g. [256, 256]',
  }),
  gamma: number({ doc: 'discount factor', default: 0.99, min: 0, lt: 1 }),
  tau: number({ doc: 'Polyak coefficient of the target networks', default: 0.005, gt: 0, max: 1 }),
  actorLr: number({ doc: 'Adam learning rate of the actor', default: 3e-4, gt: 0, example: '3e-4' }),
  criticLr: number({ doc: 'Adam learning rate of the critics', default: 1e-3, gt: 0, example: '1e-3' }),
  batchSize: int({ doc: 'mini-batch size', default: 256, min: 1, max: 65536 }),
  bufferSize: int({
    doc: 'replay buffer capacity (the oldest transitions are overwritten first)',
    default: 1000000,
    min: 1,
    flag: 'buffer',
  }),
  warmupSteps: int({
    doc: 'uniformly random steps before learning (they fix the normalization)',
    default: warmupRule(5000),
    min: 1,
    also: (v, x) => v < (x.config['steps'] as number),
    expected: (x) => `an integer in [1, ${x.ref('steps')})`,
  }),
  updatesPerStep: int({ doc: 'gradient steps per environment step', default: 1, min: 1, max: 64 }),
  obsStdFloor: number({ doc: 'floor of the normalization std: scale = max(std, floor)', default: 1e-3, gt: 0, example: '1e-3' }),
  evalEvery: int({ doc: 'greedy evaluation every N steps after the warm-up (and at the last step)', default: 5000, min: 1 }),
  evalEpisodes: EVAL_EPISODES_FIELD,
  keepBest: KEEP_BEST_FIELD,
  maxEpisodeSteps: optional(
    int({
      doc: "override the environment's time limit",
      min: 1,
      defaultText: "the environment's",
      expected: 'a positive integer (or leave it unset)',
    }),
  ),
} as const;

/** A spec of the shared fields alone (OFF_POLICY_DEFAULTS, validateOffPolicyConfig). */
const OFF_POLICY_SPEC = defineSpec('off-policy', OFF_POLICY_FIELDS);

/** Fields every actor-critic config has: one per row of OFF_POLICY_FIELDS (docs, defaults and ranges there). */
export interface OffPolicyConfig extends ConfigOf<typeof OFF_POLICY_FIELDS> {}

/** The shared defaults (frozen). */
export const OFF_POLICY_DEFAULTS: OffPolicyConfig = defaultsOf(OFF_POLICY_SPEC);

/** Validates the shared fields of an actor-critic config; messages name `algo`, the field, the value and the range. */
export function validateOffPolicyConfig(c: OffPolicyConfig, algo: string): void {
  const shared: Record<string, unknown> = {};
  for (const k of Object.keys(OFF_POLICY_FIELDS)) if (k in c) shared[k] = (c as unknown as Record<string, unknown>)[k];
  validateConfig({ ...OFF_POLICY_SPEC, name: algo }, shared as unknown as OffPolicyConfig);
}
