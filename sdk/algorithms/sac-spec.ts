/**
 * The SAC config (sac.ts): the shared actor-critic fields (actor-critic-spec.ts) and SAC's own,
 * with the per-policy defaults as rules: estimator mrp for sgm and rp for sg/usgm, components 5
 * for the mixtures and 1 for sg. SAC_DEFAULTS, validateSacConfig and the `gmmrl train sac` flags
 * are derived from this table (sdk/config/spec.ts).
 */
import { LOG_STD_MAX, LOG_STD_MIN } from '../../models/mixture-actor/head.js';
import { autoOrNumber, choice, int, number, optional } from '../config/fields.js';
import { defaultsOf, defineSpec, rule, validateConfig, type ConfigOf } from '../config/spec.js';
import { OFF_POLICY_FIELDS } from './actor-critic-spec.js';
import { ESTIMATORS, POLICY_KINDS, checkEstimator, type PolicyKind } from './sac-estimators.js';

/** Default components for a policy: 1 for sg, 5 for the mixtures. */
export function defaultComponents(policy: PolicyKind): number {
  return policy === 'sg' ? 1 : 5;
}

/** Default estimator for a policy: mrp for sgm, rp for sg and usgm. */
export function defaultEstimator(policy: PolicyKind): 'mrp' | 'rp' {
  return policy === 'sgm' ? 'mrp' : 'rp';
}

export const SAC_SPEC = defineSpec(
  'sac',
  {
    ...OFF_POLICY_FIELDS,
    policy: choice(POLICY_KINDS, {
      doc: 'sg (squashed Gaussian), sgm (mixture, learned weights), usgm (mixture, uniform weights)',
      default: 'sg',
    }),
    estimator: choice(ESTIMATORS, {
      doc: 'actor gradient: rp (sg, usgm), mrp, halfrp, gumbelrp (sgm), lr (sg, sgm)',
      default: rule('mrp for sgm, rp for sg and usgm', (c) => defaultEstimator(c['policy'] as PolicyKind)),
    }),
    components: int({
      doc: 'mixture components K (sg: 1)',
      min: 1,
      max: 64,
      default: rule('5 for sgm and usgm, 1 for sg', (c) => defaultComponents(c['policy'] as PolicyKind)),
    }),
    alpha: autoOrNumber({
      doc: 'entropy scale α: "auto" (tuned towards --target-entropy) or a fixed number ≥ 0',
      default: 'auto',
      min: 0,
      example: '0.2',
      expected: '"auto" or a fixed entropy scale ≥ 0 (e.g. 0.2)',
    }),
    alphaInit: number({ doc: 'initial α of --alpha auto', default: 1, gt: 0, example: '1' }),
    targetEntropy: optional(
      number({ doc: 'target entropy of --alpha auto', defaultText: '−A, minus the action size', expected: 'a finite number (default −A)' }),
    ),
    alphaLr: number({ doc: 'Adam learning rate of log α', default: 1e-3, gt: 0, example: '1e-3' }),
    samples: int({
      doc: 'samples per state M of halfrp and lr (leave-one-out baseline)',
      default: 4,
      min: 2,
      max: 256,
      expected: 'an integer in [2, 256] (leave-one-out baseline)',
    }),
    gumbelTemperature: number({ doc: 'Gumbel-softmax temperature of gumbelrp', default: 1, gt: 0, example: '1' }),
    logStdMin: number({ doc: 'lower bound of the policy log σ', default: LOG_STD_MIN }),
    logStdMax: number({ doc: 'upper bound of the policy log σ', default: LOG_STD_MAX }),
  },
  [
    (c, x) => checkEstimator(c.policy, c.estimator, c.components, x.where),
    (c, x) => {
      if (!(c.logStdMin < c.logStdMax))
        x.fail('logStdMax', `a bound above ${x.ref('logStdMin')} (defaults ${LOG_STD_MIN}, ${LOG_STD_MAX})`);
    },
  ],
);

/** The SAC config: one field per row of SAC_SPEC (docs, defaults and rules there). */
export interface SacConfig extends ConfigOf<typeof SAC_SPEC.fields> {}

/** The defaults at the default policy sg (frozen): estimator rp, components 1. */
export const SAC_DEFAULTS: SacConfig = defaultsOf(SAC_SPEC);

/** Validates a full config; messages name the field, the value and the valid range. */
export function validateSacConfig(c: SacConfig): void {
  validateConfig(SAC_SPEC, c);
}
