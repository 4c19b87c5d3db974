/** Float64 dense linear algebra for small row-major matrices: the public `linalg` namespace of `gmmrl`. */
export * from './cholesky.js';
export * from './dense.js';
export * from './eig.js';
