/** What both runtime entries (node and web) export besides their own `loadPolicy`. */
export * from './errors.js';
export * from './metadata.js';
export type {
  Observation,
  ObservationRows,
  Policy,
  PolicyInfo,
  ProviderFailure,
} from './policy.js';
export { readOnnxModel, type OnnxModelSummary, type OnnxValueInfo, type OnnxDim } from './onnx-reader.js';
