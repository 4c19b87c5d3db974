/**
 * A tiny ONNX graph builder over the generated protobuf code (./proto/onnx.js, from the official
 * onnx.proto). It covers what gmmrl's exporters need: typed graph inputs/outputs with symbolic
 * dimensions, float32/float64/int64 initializers stored as little-endian raw_data, named nodes with
 * int/ints/float/string attributes and doc strings, value_info for intermediate values, defaults of
 * graph inputs (initializers of the same name), and the
 * model header (IR version, opset imports, producer, doc string, metadata_props).
 *
 * It checks as it goes: names are unique, every node input is defined before it is used (so the
 * node list is topologically sorted, as ONNX requires), every declared output is produced.
 */
import { ValueError } from '../../contract/errors.js';
import { onnx } from './proto/onnx.js';

/** ONNX TensorProto.DataType codes used by the builder. */
export const ElemType = {
  FLOAT: 1,
  INT64: 7,
  BOOL: 9,
  DOUBLE: 11,
} as const;
export type ElemType = (typeof ElemType)[keyof typeof ElemType];

/** A dimension: a fixed size or a symbolic name such as 'N'. */
export type Dim = number | string;

export type AttributeValue =
  { kind: 'int'; value: number } | { kind: 'ints'; value: number[] } | { kind: 'float'; value: number } | { kind: 'string'; value: string };

export interface NodeSpec {
  /** Unique node name, e.g. 'gmmqf/normalize/sub'. */
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, AttributeValue>;
  doc?: string;
}

export interface ModelHeader {
  irVersion: number;
  /** Default-domain (ai.onnx) operator set version. */
  opsetVersion: number;
  producerName: string;
  producerVersion: string;
  docString?: string;
  domain?: string;
  modelVersion?: number;
  metadataProps?: { key: string; value: string }[];
}

function valueInfo(name: string, elemType: ElemType, shape: Dim[], doc?: string): onnx.ValueInfoProto.$Properties {
  return {
    name,
    doc_string: doc,
    type: {
      tensor_type: {
        elem_type: elemType,
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
      },
    },
  };
}

export class GraphBuilder {
  private readonly nodes: onnx.NodeProto.$Properties[] = [];
  private readonly inputs: onnx.ValueInfoProto.$Properties[] = [];
  private readonly outputs: onnx.ValueInfoProto.$Properties[] = [];
  private readonly valueInfos: onnx.ValueInfoProto.$Properties[] = [];
  private readonly initializers: onnx.TensorProto.$Properties[] = [];
  /** Every value name defined so far (inputs, initializers, node outputs). */
  private readonly defined = new Set<string>();
  private readonly nodeNames = new Set<string>();
  private readonly outputNames = new Set<string>();
  /** The input `inputDefault` is storing a default for (its name is defined already). */
  private pendingDefault: string | undefined;

  constructor(
    readonly name: string,
    readonly doc?: string,
  ) {}

  private define(name: string, what: string): void {
    if (!name) throw new ValueError(`GraphBuilder: ${what} needs a non-empty name.`);
    if (this.defined.has(name)) throw new ValueError(`GraphBuilder: value ${JSON.stringify(name)} is defined twice (${what}).`);
    this.defined.add(name);
  }

  /** Declares a graph input. */
  input(name: string, elemType: ElemType, shape: Dim[], doc?: string): string {
    this.define(name, 'graph input');
    this.inputs.push(valueInfo(name, elemType, shape, doc));
    return name;
  }

  /** Declares a graph output (must be produced by a node before `build`). */
  output(name: string, elemType: ElemType, shape: Dim[], doc?: string): string {
    if (this.outputNames.has(name)) throw new ValueError(`GraphBuilder: output ${JSON.stringify(name)} declared twice.`);
    this.outputNames.add(name);
    this.outputs.push(valueInfo(name, elemType, shape, doc));
    return name;
  }

  /** Records the type and shape of an intermediate value. */
  valueInfo(name: string, elemType: ElemType, shape: Dim[], doc?: string): string {
    this.valueInfos.push(valueInfo(name, elemType, shape, doc));
    return name;
  }

  /**
   * Stores `data` (checked to hold prod(dims) values) as a `width`-byte little-endian raw_data
   * initializer: `write` checks entry i and writes it at byte i·width.
   */
  private rawInitializer(
    name: string,
    dims: number[],
    dataType: ElemType,
    width: number,
    data: ArrayLike<number>,
    doc: string | undefined,
    write: (view: DataView, i: number) => void,
  ): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (data.length !== count) {
      throw new ValueError(
        `GraphBuilder: initializer ${JSON.stringify(name)} has ${data.length} values for dims [${dims.join(', ')}] (${count}).`,
      );
    }
    const raw = new Uint8Array(count * width);
    const view = new DataView(raw.buffer);
    for (let i = 0; i < count; i++) write(view, i);
    if (this.pendingDefault === name) this.pendingDefault = undefined;
    else this.define(name, 'initializer');
    this.initializers.push({ name, dims, data_type: dataType, raw_data: raw, doc_string: doc });
    return name;
  }

  /** A float32 constant (rounded from `data`), stored as little-endian raw_data. */
  initializerFloat32(name: string, dims: number[], data: ArrayLike<number>, doc?: string): string {
    return this.rawInitializer(name, dims, ElemType.FLOAT, 4, data, doc, (view, i) => {
      const x = Math.fround(data[i]!);
      if (!Number.isFinite(x)) {
        throw new ValueError(`GraphBuilder: initializer ${JSON.stringify(name)}[${i}] = ${data[i]} is not a finite float32.`);
      }
      view.setFloat32(i * 4, x, true);
    });
  }

  /** A float64 constant (exactly `data`), stored as little-endian raw_data. */
  initializerFloat64(name: string, dims: number[], data: ArrayLike<number>, doc?: string): string {
    return this.rawInitializer(name, dims, ElemType.DOUBLE, 8, data, doc, (view, i) => {
      const x = data[i]!;
      if (typeof x !== 'number' || !Number.isFinite(x)) {
        throw new ValueError(`GraphBuilder: initializer ${JSON.stringify(name)}[${i}] = ${x} is not a finite float64.`);
      }
      view.setFloat64(i * 8, x, true);
    });
  }

  /** A floating-point constant of element type FLOAT (rounded once) or DOUBLE (exact). */
  initializerFloat(name: string, elemType: ElemType, dims: number[], data: ArrayLike<number>, doc?: string): string {
    if (elemType === ElemType.FLOAT) return this.initializerFloat32(name, dims, data, doc);
    if (elemType === ElemType.DOUBLE) return this.initializerFloat64(name, dims, data, doc);
    throw new ValueError(`GraphBuilder: initializerFloat needs ElemType.FLOAT or ElemType.DOUBLE, got ${elemType}.`);
  }

  /**
   * A FLOAT or DOUBLE constant whose every entry is NaN: the exporters' "no value" marker (the
   * defaults of the noise inputs). initializerFloat refuses non-finite data, so a NaN is written only
   * where it is asked for by name.
   */
  initializerNaN(name: string, elemType: ElemType, dims: number[], doc?: string): string {
    const count = dims.reduce((a, b) => a * b, 1);
    const data = new Array<number>(count).fill(NaN);
    if (elemType === ElemType.FLOAT)
      return this.rawInitializer(name, dims, elemType, 4, data, doc, (v, i) => v.setFloat32(i * 4, NaN, true));
    if (elemType === ElemType.DOUBLE)
      return this.rawInitializer(name, dims, elemType, 8, data, doc, (v, i) => v.setFloat64(i * 8, NaN, true));
    throw new ValueError(`GraphBuilder: initializerNaN needs ElemType.FLOAT or ElemType.DOUBLE, got ${elemType}.`);
  }

  /**
   * The default of graph input `name` (declared before, without one yet): an initializer of the same
   * name and element type, all NaN, which ONNX (IR ≥ 4) uses when the input is not fed.
   */
  inputDefaultNaN(name: string, dims: number[], doc?: string): string {
    const input = this.inputs.find((v) => v.name === name);
    if (!input) throw new ValueError(`GraphBuilder: a default for ${JSON.stringify(name)}, which is not a graph input.`);
    if (this.initializers.some((t) => t.name === name))
      throw new ValueError(`GraphBuilder: input ${JSON.stringify(name)} has a default already.`);
    this.pendingDefault = name;
    try {
      return this.initializerNaN(name, input.type!.tensor_type!.elem_type as ElemType, dims, doc);
    } finally {
      this.pendingDefault = undefined;
    }
  }

  /** An int64 constant, stored as little-endian raw_data. */
  initializerInt64(name: string, dims: number[], data: readonly number[], doc?: string): string {
    return this.rawInitializer(name, dims, ElemType.INT64, 8, data, doc, (view, i) => {
      if (!Number.isSafeInteger(data[i]))
        throw new ValueError(`GraphBuilder: int64 initializer ${JSON.stringify(name)}[${i}] = ${data[i]} is not an integer.`);
      view.setBigInt64(i * 8, BigInt(data[i]!), true);
    });
  }

  /** Appends a node; its inputs must already be defined. Returns its first output name. */
  node(spec: NodeSpec): string {
    if (this.nodeNames.has(spec.name)) throw new ValueError(`GraphBuilder: node name ${JSON.stringify(spec.name)} used twice.`);
    for (const i of spec.inputs) {
      if (!this.defined.has(i)) {
        throw new ValueError(`GraphBuilder: node ${JSON.stringify(spec.name)} reads ${JSON.stringify(i)}, which is not defined yet.`);
      }
    }
    for (const o of spec.outputs) this.define(o, `output of node ${spec.name}`);
    this.nodeNames.add(spec.name);
    const attribute: onnx.AttributeProto.$Properties[] = Object.entries(spec.attributes ?? {}).map(([name, a]) => {
      switch (a.kind) {
        case 'int':
          return { name, type: onnx.AttributeProto.AttributeType.INT, i: a.value };
        case 'ints':
          return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: a.value };
        case 'float':
          return { name, type: onnx.AttributeProto.AttributeType.FLOAT, f: a.value };
        case 'string':
          return { name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(a.value) };
      }
    });
    this.nodes.push({
      name: spec.name,
      op_type: spec.opType,
      input: spec.inputs,
      output: spec.outputs,
      attribute,
      doc_string: spec.doc,
    });
    return spec.outputs[0]!;
  }

  /** Serialises the model. */
  build(header: ModelHeader): Uint8Array {
    for (const o of this.outputNames) {
      if (!this.defined.has(o)) throw new ValueError(`GraphBuilder: output ${JSON.stringify(o)} is never produced.`);
    }
    const model: onnx.ModelProto.$Properties = {
      ir_version: header.irVersion,
      opset_import: [{ domain: '', version: header.opsetVersion }],
      producer_name: header.producerName,
      producer_version: header.producerVersion,
      domain: header.domain,
      model_version: header.modelVersion,
      doc_string: header.docString,
      graph: {
        name: this.name,
        doc_string: this.doc,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
        value_info: this.valueInfos,
      },
      metadata_props: header.metadataProps,
    };
    return onnx.ModelProto.encode(model).finish();
  }
}
