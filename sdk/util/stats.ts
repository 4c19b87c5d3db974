/** Column statistics of a row-major [n, D] sample, float64. */

/**
 * Per column j: mean_j = Σ_i x_ij / n and the population std_j = √(Σ_i (x_ij − mean_j)² / n)
 * (two passes, summed in row order). The trainers derive their normalization from these, each with
 * its documented rule for a (nearly) constant column.
 */
export function columnMeanStd(x: ArrayLike<number>, n: number, D: number): { mean: Float64Array; std: Float64Array } {
  const mean = new Float64Array(D);
  const std = new Float64Array(D);
  for (let j = 0; j < D; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i * D + j]!;
    const m = s / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (x[i * D + j]! - m) ** 2;
    mean[j] = m;
    std[j] = Math.sqrt(v / n);
  }
  return { mean, std };
}
