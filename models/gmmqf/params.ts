import type { FeatureKind } from './features.js';

/**
 * A continuous action space discretized into A grid points: the Q-function's action a means the
 * environment action values[a * size … (a + 1) * size − 1], size = prod(shape).
 */
export interface ActionGrid {
  readonly shape: number[];
  /** [A, size], float64 (exported as float32). */
  readonly values: Float64Array;
  /** The environment's action bounds, [size] each. */
  readonly low: number[];
  readonly high: number[];
}

/**
 * GMM Q-function parameters ([GMM-QF]; REFERENCES.md §1).
 *
 *   z = (φ(s) − offset) / scale       φ = the feature map (identity unless `features` says otherwise)
 *   Q(s, a) = Σ_k ξ[k, a] · exp(−½ (z − m_k)ᵀ C_k⁻¹ (z − m_k))
 *
 * All arrays are float64, row-major, flat.
 */
export interface GmmQfParams {
  /** Number of Gaussian components. */
  readonly K: number;
  /** Feature dimension D: the observation size for the identity map (the default). */
  readonly D: number;
  /** Number of discrete actions. */
  readonly A: number;
  /** Means m_k in normalized coordinates, [K, D]. */
  readonly means: Float64Array;
  /** Covariances C_k in normalized coordinates, SPD, [K, D, D]. */
  readonly covariances: Float64Array;
  /** Per-action weights ξ[k, a], [K, A]. */
  readonly weights: Float64Array;
  /** Observation normalization z = (s − offset) / scale, [D] each; scale > 0. */
  readonly obsOffset: Float64Array;
  readonly obsScale: Float64Array;
  /** Feature map applied to the raw observation before normalization (absent = 'identity'). */
  readonly features?: FeatureKind;
  /** Present when the actions are points of a grid over a continuous action space. */
  readonly actionGrid?: ActionGrid;
}
