/**
 * The Gamid-PG config (gamid.ts): TD3's fields (td3-spec.ts) and the mixture's own — the number of
 * actors and the schedules of the diversity temperature τ and the component ε. GAMID_DEFAULTS,
 * validateGamidConfig and the `gmmrl train gamid` flags are derived from this table.
 */
import { int, schedule } from '../config/fields.js';
import { defaultsOf, defineSpec, validateConfig, type ConfigOf } from '../config/spec.js';
import { TD3_FIELDS } from './td3-spec.js';

export const GAMID_SPEC = defineSpec('gamid', {
  ...TD3_FIELDS,
  actors: int({ doc: 'number of component actors N', default: 5, min: 1, max: 64 }),
  temperature: schedule({
    doc: 'diversity temperature τ: τ0, or τ0:τ1:fraction (linear decay over that fraction of the steps; Table 5)',
    default: { start: 0.1, end: 0.1, fraction: 1 },
    example: '0.1 or 0.3:0.1:0.3',
  }),
  epsilon: schedule({
    doc: 'ε of the ε-greedy component choice: ε0, or ε0:ε1:fraction (Table 5, HalfCheetah)',
    default: { start: 0.2, end: 0.02, fraction: 0.5 },
    max: 1,
    example: '0.2:0.02:0.5',
  }),
});

/** The Gamid-PG config: one field per row of GAMID_SPEC (docs, defaults and ranges there). */
export interface GamidConfig extends ConfigOf<typeof GAMID_SPEC.fields> {}

/** The defaults (frozen). */
export const GAMID_DEFAULTS: GamidConfig = defaultsOf(GAMID_SPEC);

/** Validates a full config; messages name the field, the value and the valid range. */
export function validateGamidConfig(c: GamidConfig): void {
  validateConfig(GAMID_SPEC, c);
}
