/**
 * Graph against metadata: a model's gmmrl metadata (already valid on its own, contract/metadata.ts)
 * must describe its ONNX graph — every declared input and output present with the declared dtype
 * and static dims, no undeclared required input, a default-domain opset — and the session ONNX
 * Runtime opened must see the same names. Each mismatch is a ModelFormatError naming both sides.
 */
import { ModelFormatError } from '../contract/errors.js';
import { TENSOR_DTYPE_CODES, type DimSpec, type GmmrlMetadataV1, type TensorSpec } from '../contract/metadata.js';
import { ONNX_ELEM_TYPE_NAMES, type OnnxDim, type OnnxModelSummary, type OnnxValueInfo } from './onnx-reader.js';
import type { OrtSessionLike } from './ort.js';

/** The version of the model's default ONNX operator set (domain '' / 'ai.onnx'); ModelFormatError when it imports none. */
export function defaultOpset(s: OnnxModelSummary): number {
  const imp = s.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  if (!imp) {
    throw new ModelFormatError(
      `The ONNX model imports no default-domain operator set (opset_import has ${JSON.stringify(s.opsetImport)}). The file is corrupt.`,
    );
  }
  return imp.version;
}

/** Dims for messages: [N, 4], with ? for an unknown dim and quotes around a symbolic one; "(no shape)" for null. */
export function fmtDims(d: readonly (OnnxDim | DimSpec)[] | null): string {
  if (d === null) return '(no shape)';
  return `[${d.map((x) => (x === null ? '?' : typeof x === 'string' ? JSON.stringify(x) : String(x))).join(', ')}]`;
}

function checkValue(kind: 'input' | 'output', spec: TensorSpec, g: OnnxValueInfo | undefined, all: OnnxValueInfo[]): void {
  const field = `gmmrl.metadata ${kind}s`;
  if (!g) {
    throw new ModelFormatError(
      `Metadata and graph disagree: ${field} declares ${JSON.stringify(spec.name)} but the graph's ${kind}s are ` +
        `${JSON.stringify(all.map((v) => v.name))}. The file was edited or corrupted after export.`,
    );
  }
  const code = TENSOR_DTYPE_CODES[spec.dtype];
  if (g.elemType !== code) {
    const got = g.elemType === null ? 'no tensor type' : (ONNX_ELEM_TYPE_NAMES[g.elemType] ?? `elem_type ${g.elemType}`);
    throw new ModelFormatError(
      `Metadata and graph disagree on the dtype of ${kind} ${JSON.stringify(spec.name)}: metadata says ${spec.dtype}, the graph says ${got}.`,
    );
  }
  const shape = g.shape;
  const mismatch = (): never => {
    throw new ModelFormatError(
      `Metadata and graph disagree on the shape of ${kind} ${JSON.stringify(spec.name)}: metadata says ${fmtDims(spec.shape)}, ` +
        `the graph says ${fmtDims(shape)}.`,
    );
  };
  if (shape === null || shape.length !== spec.shape.length) mismatch();
  spec.shape.forEach((d, i) => {
    const gd = shape![i];
    if (typeof d === 'number') {
      if (gd !== d) mismatch();
    } else if (typeof gd === 'number') {
      mismatch(); // symbolic in the metadata (batch) but fixed in the graph
    }
  });
}

/**
 * Declared inputs/outputs exist in the graph with the same dtype and static dims; no undeclared
 * required inputs. The declared lists already satisfy the family contract (validateMetadata: the
 * inputs obs [N, D] and, with noise inputs, noise_u [N] and noise_eps [N, A]; the family's outputs,
 * all floats in the model's precision), so this ties the contract to the graph — e.g. a float64
 * model whose graph takes float32, or metadata declaring an output the graph lacks, is refused.
 */
export function checkGraphAgainstMetadata(s: OnnxModelSummary, m: GmmrlMetadataV1): void {
  const g = s.graph!;
  for (const spec of m.inputs)
    checkValue(
      'input',
      spec,
      g.inputs.find((v) => v.name === spec.name),
      g.inputs,
    );
  for (const spec of m.outputs)
    checkValue(
      'output',
      spec,
      g.outputs.find((v) => v.name === spec.name),
      g.outputs,
    );
  const inits = new Set(g.initializerNames);
  for (const v of g.inputs) {
    if (!inits.has(v.name) && !m.inputs.some((t) => t.name === v.name)) {
      throw new ModelFormatError(
        `Metadata and graph disagree: the graph has an input ${JSON.stringify(v.name)} that gmmrl.metadata inputs does not declare.`,
      );
    }
  }
}

/** ModelFormatError unless the session ONNX Runtime opened has every input and output name the metadata declares. */
export function checkSessionNames(session: OrtSessionLike, m: GmmrlMetadataV1): void {
  for (const t of m.inputs) {
    if (!session.inputNames.includes(t.name)) {
      throw new ModelFormatError(
        `ONNX Runtime sees inputs ${JSON.stringify(session.inputNames)} but gmmrl.metadata declares ${JSON.stringify(t.name)}.`,
      );
    }
  }
  for (const t of m.outputs) {
    if (!session.outputNames.includes(t.name)) {
      throw new ModelFormatError(
        `ONNX Runtime sees outputs ${JSON.stringify(session.outputNames)} but gmmrl.metadata declares ${JSON.stringify(t.name)}.`,
      );
    }
  }
}
