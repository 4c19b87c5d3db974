/**
 * The TD3 config (td3.ts): the shared actor-critic fields (actor-critic-spec.ts, critic learning
 * rate 3e-4) and TD3's own. TD3_DEFAULTS, validateTd3Config and the `gmmrl train td3` flags are
 * derived from this table (sdk/config/spec.ts).
 */
import { int, number } from '../config/fields.js';
import { defaultsOf, defineSpec, validateConfig, type ConfigOf } from '../config/spec.js';
import { OFF_POLICY_FIELDS } from './actor-critic-spec.js';

export const TD3_FIELDS = {
  ...OFF_POLICY_FIELDS,
  criticLr: number({ doc: 'Adam learning rate of the critics', default: 3e-4, gt: 0, example: '3e-4' }),
  policyDelay: int({
    doc: 'actor and target update every N critic updates',
    default: 2,
    min: 1,
    expected: 'a positive integer (default 2)',
  }),
  explorationStd: number({ doc: 'Gaussian exploration noise σ on the [−1, 1] action scale', default: 0.1, min: 0 }),
  targetNoise: number({ doc: 'target-policy smoothing noise σ', default: 0.2, min: 0 }),
  targetNoiseClip: number({ doc: 'clip of the smoothing noise', default: 0.5, min: 0 }),
} as const;

export const TD3_SPEC = defineSpec('td3', TD3_FIELDS);

/** The TD3 config: one field per row of TD3_FIELDS (docs, defaults and ranges there). */
export interface Td3Config extends ConfigOf<typeof TD3_FIELDS> {}

/** The defaults (frozen). */
export const TD3_DEFAULTS: Td3Config = defaultsOf(TD3_SPEC);

/** Validates a full config; messages name `algo` (default "td3"), the field, the value and the range. */
export function validateTd3Config(c: Td3Config, algo = 'td3'): void {
  validateConfig(algo === 'td3' ? TD3_SPEC : { ...TD3_SPEC, name: algo }, c);
}
