/** Float64 dense linear algebra for small (D ≤ 8) row-major matrices: re-exports. */
export * from './cholesky.js';
export * from './dense.js';
export * from './eig.js';
