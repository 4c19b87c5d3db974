/**
 * gmmrl exporters: trained models → ONNX files that `gmmrl/runtime` (or any ONNX Runtime) can run.
 */
export { exportGmmQf, gmmQfMetadata, GMMQF_IR_VERSION, GMMQF_OPSET_VERSION, type GmmQfExportMeta } from './onnx/gmmqf.js';
export { GraphBuilder, ElemType, type Dim, type NodeSpec, type ModelHeader, type AttributeValue } from './onnx/graph.js';
export type { GmmrlMetadataV1, GmmrlMetadata, TensorSpec } from '../runtime/metadata.js';
