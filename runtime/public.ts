/** What both runtime entries (node and web) export besides their own `loadPolicy`. */
export * from '../contract/errors.js';
export * from '../contract/metadata.js';
export { Rng } from '../contract/rng.js';
export * from './types.js';
export { checkModelDigest, type IntegrityCheck, type NewHash, type HashLike } from './digest.js';
export { readOnnxModel, type OnnxModelSummary, type OnnxValueInfo, type OnnxDim } from './onnx-reader.js';
