/**
 * GMM Q-function parameters (seed 000; algorithms.md §1).
 *
 *   z = (s − offset) / scale
 *   Q(s, a) = Σ_k ξ[k, a] · exp(−½ (z − m_k)ᵀ C_k⁻¹ (z − m_k))
 *
 * All arrays are float64, row-major, flat.
 */
export interface GmmQfParams {
  /** Number of Gaussian components. */
  readonly K: number;
  /** State (observation) dimension. */
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
}
