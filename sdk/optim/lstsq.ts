/**
 * Small dense SPD solve (Cholesky), float64, for the ridge least-squares weight refit.
 */
import { choleskyOrNull } from '../../models/linalg/cholesky.js';

/** Solves M x = b for SPD M (n×n, row-major); overwrites b with x. Returns false if M is not SPD. */
export function solveSpdInPlace(M: Float64Array, b: Float64Array, n: number): boolean {
  const L = choleskyOrNull(M, n);
  if (!L) return false;
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * n + k]! * b[k]!;
    b[i] = s / L[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * b[k]!;
    b[i] = s / L[i * n + i]!;
  }
  return true;
}
