/**
 * gmmrl exporters: trained models → ONNX files that `gmmrl/runtime` (or any ONNX Runtime) can run.
 */
export { exportGmmQf, gmmQfMetadata, GMMQF_IR_VERSION, GMMQF_OPSET_VERSION, type GmmQfExportMeta } from './onnx/gmmqf.js';
export { exportDqn, dqnMetadata, DQN_IR_VERSION, DQN_OPSET_VERSION, type DqnExportMeta } from './onnx/dqn.js';
export { GraphBuilder, ElemType, type Dim, type NodeSpec, type ModelHeader, type AttributeValue } from './onnx/graph.js';
export type { GmmrlMetadataV1, GmmrlMetadata, TensorSpec } from '../runtime/metadata.js';
