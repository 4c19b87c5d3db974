/**
 * Fixed feature maps applied to raw observations before normalization (REFERENCES.md §1 allows a
 * state representation other than the raw observation; [GMM-QF]/[S-GMM-QF] use Acrobot's 4-dimensional
 * angle state). The same map is built into the exported graph, so the deployed model consumes the
 * environment's observation unchanged.
 *
 *   identity         φ(s) = s
 *   acrobot-angles   φ(cos θ1, sin θ1, cos θ2, sin θ2, dθ1, dθ2) = (atan2(sin θ1, cos θ1), atan2(sin θ2, cos θ2), dθ1, dθ2)
 *
 * The ONNX graph has no Atan2; it computes atan2(y, x) = Atan(y / x) + (x < 0 ? (y ≥ 0 ? π : −π) : 0),
 * which equals Math.atan2 for every (y, x) ≠ (0, 0) (x = +0 gives y/x = ±∞ and Atan(±∞) = ±π/2),
 * except on negative zeros: y = −0 with x < 0 gives +π (Math.atan2: −π), and x = −0 with y ≠ 0
 * divides by a negative zero (−π/2 for y > 0; Math.atan2: +π/2). Neither occurs on Acrobot's
 * observations: they are float32 points on the unit circle, (0, 0) is impossible, cos θ is never ±0
 * for a float64 θ, and sin θ is −0 only at θ = −0, where cos θ = 1 > 0. `featuresFloat32Error`
 * returns an infinite bound on those inputs rather than a wrong finite one.
 *
 * Both the TensorFlow.js inference path (models/gmmqf/tf.ts) and the exported graph
 * (exporters/onnx/gmmqf.ts) evaluate the map with exactly this op sequence, on both angles at once:
 *
 *   cos    = Gather(obs, [0, 2], axis 1)            [N, 2]
 *   sin    = Gather(obs, [1, 3], axis 1)            [N, 2]
 *   vel    = Gather(obs, [4, 5], axis 1)            [N, 2]
 *   ratio  = Div(sin, cos)
 *   base   = Atan(ratio)
 *   branch = Where(GreaterOrEqual(sin, 0), π₃₂, −π₃₂)      π₃₂ = float32(π)
 *   corr   = Where(Less(cos, 0), branch, 0)
 *   theta  = Add(base, corr)
 *   phi    = Concat([theta, vel], axis 1)           [N, 4] = (θ1, θ2, dθ1, dθ2)
 */
import { ShapeError, UnknownNameError, ValueError, describeValue } from '../../contract/errors.js';

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

/** 'auto' resolves per environment: Acrobot-v1 → 'acrobot-angles' (its 4-dimensional angle state), else 'identity'. */
export function resolveFeatureKind(features: 'auto' | FeatureKind, envId: string): FeatureKind {
  if (features !== 'auto') return features;
  return envId === 'Acrobot-v1' ? 'acrobot-angles' : 'identity';
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
    if (obs[s] === 0 && obs[s + 1] === 0)
      throw new ValueError(`features (acrobot-angles): observation ${i} has cos θ1 = sin θ1 = 0; it is not an Acrobot observation.`);
    if (obs[s + 2] === 0 && obs[s + 3] === 0)
      throw new ValueError(`features (acrobot-angles): observation ${i} has cos θ2 = sin θ2 = 0; it is not an Acrobot observation.`);
  }
  return out;
}

/** float32(π), the constant the graph adds on the x < 0 branch (3.1415927410125732 > π). */
export const PI_F32 = Math.fround(Math.PI);

const U32 = 2 ** -24;

/**
 * The feature map in float64 (the reference, Math.atan2) together with a worst-case bound on the
 * float32 error of the graph's op sequence above, per feature entry ([N, D] each). Identity
 * features are copied exactly (error 0). For an angle θ = atan2(y, x) from float32 inputs y, x
 * (u = 2⁻²⁴, r = y / x):
 *
 *   ratio = fl(y / x) = r(1 + δ), |δ| ≤ u. By the mean value theorem, with atan′(ξ) = 1/(1 + ξ²)
 *     and ξ between r and r(1 + δ):  |atan(ratio) − atan(r)| ≤ e₁ = u|r| / (1 + (1 − u)²r²)  (≤ u/2 + O(u²))
 *   Atan(ratio) in float32, allowed 8 ulp like Exp:  e₂ = 8u(|atan r| + e₁)
 *   x ≥ 0: the correction is +0 and Add is exact:    |δθ| ≤ e₁ + e₂
 *   x < 0: the correction ±π₃₂ is off by e_π = π₃₂ − π (8.74e-8), and Add rounds once:
 *                                                   |δθ| ≤ e₁ + e₂ + e_π + u(|θ| + e₁ + e₂ + e_π)
 *   plus 2⁻¹²⁶ for subnormal results and 4·2⁻⁵³|θ| for Math.atan2's own float64 rounding.
 * The branch tests (Less, GreaterOrEqual) are exact on the same float32 inputs, so the graph takes
 * the reference's branch; when |r| overflows float32, Atan(±∞) = ±π/2 differs from atan(r) by
 * 1/|r| < 3e-39, inside the 2⁻¹²⁶ term. Negative zeros (see the module comment) get an infinite
 * bound. Overall |δθ| ≤ u/2 + 8u·π/2 + e_π + uπ ≈ 17.7u (3.1e-7 rad) for any input, ≈ 13.1u for x ≥ 0.
 *
 * The normalization then sees s̃ = θ + δθ instead of θ: float32-bound.ts adds |δθ| / scale to |δz|.
 */
export function featuresFloat32Error(
  kind: FeatureKind,
  obs: ArrayLike<number>,
  n: number,
  D: number,
): { phi: Float64Array; err: Float64Array } {
  const phi = applyFeatures(kind, obs, n, D);
  const err = new Float64Array(n * D);
  if (kind === 'identity') return { phi, err };
  const u = U32;
  const ePi = PI_F32 - Math.PI;
  const angleErr = (y: number, x: number, theta: number): number => {
    if (Object.is(x, -0) || (Object.is(y, -0) && x < 0)) return Infinity;
    const r = y / x;
    const e1 = Number.isFinite(r) ? (u * Math.abs(r)) / (1 + (1 - u) ** 2 * r * r) : 0;
    const e2 = 8 * u * (Math.abs(Math.atan(r)) + e1);
    let e = e1 + e2;
    if (x < 0) e += ePi + u * (Math.abs(theta) + e1 + e2 + ePi);
    return e + 2 ** -126 + 4 * 2 ** -53 * Math.abs(theta);
  };
  for (let i = 0; i < n; i++) {
    const s = i * 6;
    const o = i * 4;
    err[o] = angleErr(obs[s + 1]!, obs[s]!, phi[o]!);
    err[o + 1] = angleErr(obs[s + 3]!, obs[s + 2]!, phi[o + 1]!);
  }
  return { phi, err };
}
