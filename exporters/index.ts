/**
 * gmmrl exporters: trained models → ONNX files that `gmmrl/runtime` (or any ONNX Runtime) can run.
 */
export {
  exportGmmQf,
  gmmQfMetadata,
  GMMQF_IR_VERSION,
  GMMQF_OPSET_VERSION,
  type GmmQfExportMeta,
  type GmmQfExportOptions,
} from './onnx/gmmqf.js';
export { exportDqn, dqnMetadata, DQN_IR_VERSION, DQN_OPSET_VERSION, type DqnExportMeta, type DqnExportOptions } from './onnx/dqn.js';
export { exportMixtureActor, mixtureActorMetadata, MIXTURE_ACTOR_IR_VERSION, MIXTURE_ACTOR_OPSET_VERSION } from './onnx/mixture-actor.js';
export { exportGamidActor, gamidActorMetadata, GAMID_ACTOR_IR_VERSION, GAMID_ACTOR_OPSET_VERSION } from './onnx/gamid-actor.js';
export { DEFAULT_Q_EPSILON, type ActorExportMeta, type ExportOptions, type QExportOptions, type NoiseMode } from './onnx/subgraphs.js';
export { GraphBuilder, ElemType, type Dim, type NodeSpec, type ModelHeader, type AttributeValue } from './onnx/graph.js';
export type { GmmrlMetadataV1, GmmrlMetadata, TensorSpec } from '../contract/metadata.js';
