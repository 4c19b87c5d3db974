/**
 * Fixed feature maps applied to raw observations before normalization (algorithms.md §1 allows a
 * state representation other than the raw observation; seed 000/001 use Acrobot's 4-dimensional
 * angle state). The same map is built into the exported graph, so the deployed model consumes the
 * environment's observation unchanged.
 *
 *   identity         φ(s) = s
 *   acrobot-angles   φ(cos θ1, sin θ1, cos θ2, sin θ2, dθ1, dθ2) = (atan2(sin θ1, cos θ1), atan2(sin θ2, cos θ2), dθ1, dθ2)
 *
 * The ONNX graph has no Atan2; it computes atan2(y, x) = Atan(y / x) + (x < 0 ? (y ≥ 0 ? π : −π) : 0),
 * which equals Math.atan2 for every (y, x) ≠ (0, 0) (x = 0 gives y/x = ±∞ and Atan(±∞) = ±π/2).
 * On Acrobot's observations (points on the unit circle) (0, 0) never occurs.
 */
import { ShapeError, UnknownNameError, ValueError, describeValue } from '../../runtime/errors.js';

export const FEATURE_KINDS = ['identity', 'acrobot-angles'] as const;
export type FeatureKind = (typeof FEATURE_KINDS)[number];

export const FEATURE_FORMULAS: Readonly<Record<FeatureKind, string>> = {
  identity: 'phi(obs) = obs',
  'acrobot-angles':
    'phi(obs) = [atan2(obs[1], obs[0]), atan2(obs[3], obs[2]), obs[4], obs[5]], atan2(y, x) = atan(y / x) + (x < 0 ? (y >= 0 ? pi : -pi) : 0)',
};

export function checkFeatureKind(kind: unknown, field = 'features'): FeatureKind {
  if (typeof kind !== 'string' || !(FEATURE_KINDS as readonly string[]).includes(kind)) {
    throw new UnknownNameError(`${field} = ${describeValue(kind)} is not a known feature map; use one of ${FEATURE_KINDS.join(', ')}.`);
  }
  return kind as FeatureKind;
}

/** Observation size the map consumes, given the feature size D (identity: D). */
export function featureInputSize(kind: FeatureKind, D: number): number {
  if (kind === 'acrobot-angles') {
    if (D !== 4) throw new ShapeError(`The acrobot-angles feature map produces 4 features; the model has D = ${D}.`);
    return 6;
  }
  return D;
}

/** Feature size produced from an observation of size `obsSize`. */
export function featureOutputSize(kind: FeatureKind, obsSize: number): number {
  if (kind === 'acrobot-angles') {
    if (obsSize !== 6) throw new ShapeError(`The acrobot-angles feature map needs Acrobot's 6-entry observation; got ${obsSize} entries.`);
    return 4;
  }
  return obsSize;
}

/** The graph's atan2 (see the module comment), in float64. */
export function graphAtan2(y: number, x: number): number {
  const a = Math.atan(y / x);
  return x < 0 ? a + (y >= 0 ? Math.PI : -Math.PI) : a;
}

/**
 * Applies the map to n raw observations (row-major) and returns the features [n, D] in float64.
 * Identity returns a float64 copy.
 */
export function applyFeatures(kind: FeatureKind, obs: ArrayLike<number>, n: number, D: number): Float64Array {
  const inSize = featureInputSize(kind, D);
  if (obs.length !== n * inSize) {
    throw new ShapeError(`features (${kind}): expected ${n} observations of ${inSize} entries (${n * inSize} numbers), got ${obs.length}.`);
  }
  const out = new Float64Array(n * D);
  if (kind === 'identity') {
    for (let i = 0; i < n * D; i++) out[i] = obs[i]!;
    return out;
  }
  for (let i = 0; i < n; i++) {
    const s = i * 6;
    const o = i * 4;
    out[o] = Math.atan2(obs[s + 1]!, obs[s]!);
    out[o + 1] = Math.atan2(obs[s + 3]!, obs[s + 2]!);
    out[o + 2] = obs[s + 4]!;
    out[o + 3] = obs[s + 5]!;
    if (obs[s] === 0 && obs[s + 1] === 0) throw new ValueError(`features (acrobot-angles): observation ${i} has cos θ1 = sin θ1 = 0; it is not an Acrobot observation.`);
    if (obs[s + 2] === 0 && obs[s + 3] === 0) throw new ValueError(`features (acrobot-angles): observation ${i} has cos θ2 = sin θ2 = 0; it is not an Acrobot observation.`);
  }
  return out;
}
