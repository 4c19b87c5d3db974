/**
 * The runtime's dependency-free ONNX reader: agrees with protobufjs/python on real exports, and is
 * total on garbage (random bytes, every truncation, bit flips, empty input): it returns or throws
 * ModelFormatError, never anything else, never hangs.
 */
import { expect } from 'chai';
import { exportGmmQf } from '../../exporters/index.js';
import { onnx } from '../../exporters/onnx/proto/onnx.js';
import { ModelFormatError } from '../../contract/errors.js';
import { metadataMap, readGraphContents, readOnnxModel, type OnnxModelSummary } from '../../runtime/onnx-reader.js';
import { Rng } from '../../sdk/util/rng.js';
import { expectThrows } from '../helpers.js';
import { metaFor, randomParams } from '../exporters/fixtures.js';

function tryRead(bytes: Uint8Array): { ok: true; model: OnnxModelSummary } | { ok: false; err: unknown } {
  try {
    return { ok: true, model: readOnnxModel(bytes) };
  } catch (err) {
    return { ok: false, err };
  }
}

/** Encodes a varint (non-negative, < 2^53) or a negative int64 as 10 bytes. */
function varint(v: number | bigint): number[] {
  let x = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x !== 0n) b |= 0x80;
    out.push(b);
  } while (x !== 0n);
  return out;
}
const tag = (field: number, wire: number): number[] => varint(field * 8 + wire);
const ld = (field: number, body: number[]): number[] => [...tag(field, 2), ...varint(body.length), ...body];
const str = (s: string): number[] => Array.from(new TextEncoder().encode(s));

describe('runtime/onnx-reader', function () {
  this.timeout(60_000);
  const p = randomParams(new Rng(11), 3, 4, 2);
  const bytes = exportGmmQf(p, metaFor(p, { training: { algorithm: 'gmm-q' } }), { sampling: 'none' });

  it('reads an exported model: header, graph inputs/outputs with dims, initializer names, metadata', () => {
    const m = readOnnxModel(bytes);
    const ref = onnx.ModelProto.decode(bytes);
    expect(m.irVersion).to.equal(8);
    expect(m.producerName).to.equal('gmmrl');
    expect(m.producerVersion).to.equal(ref.producer_version);
    expect(m.opsetImport).to.deep.equal([{ domain: '', version: 17 }]);
    expect(m.graph!.inputs).to.deep.equal([{ name: 'obs', elemType: 1, shape: ['N', 4] }]);
    expect(m.graph!.outputs).to.deep.equal([
      { name: 'q', elemType: 1, shape: ['N', 2] },
      { name: 'action', elemType: 7, shape: ['N'] },
    ]);
    expect(m.graph!.initializerNames).to.deep.equal(ref.graph!.initializer!.map((t) => t.name));
    expect(m.metadataProps).to.deep.equal(ref.metadata_props.map((e) => ({ key: e.key, value: e.value })));
    expect([...metadataMap(m).keys()]).to.deep.equal(['gmmrl.schema_version', 'gmmrl.family', 'gmmrl.metadata']);
    expect(m.byteLength).to.equal(bytes.length);
  });

  it('decodes varints up to 10 bytes, including negative int64 dims and large values', () => {
    const dim = (v: number[]): number[] => ld(1, v); // Dimension
    const shape = ld(2, [
      ...dim([...tag(1, 0), ...varint(-1)]),
      ...dim([...tag(1, 0), ...varint(2 ** 40 + 3)]),
      ...dim(ld(2, str('batch'))),
    ]);
    const tensorType = ld(1, [...tag(1, 0), ...varint(1), ...shape]);
    const vi = ld(11, [...ld(1, str('x')), ...ld(2, tensorType)]);
    const model = new Uint8Array([...tag(1, 0), ...varint(2 ** 52 + 1), ...ld(7, vi)]);
    const m = readOnnxModel(model);
    expect(m.irVersion).to.equal(2 ** 52 + 1);
    expect(m.graph!.inputs[0]).to.deep.equal({ name: 'x', elemType: 1, shape: [-1, 2 ** 40 + 3, 'batch'] });
  });

  it('skips unknown fields of every wire type', () => {
    const model = new Uint8Array([
      ...tag(100, 0),
      ...varint(12345),
      ...tag(101, 1),
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
      ...ld(102, [9, 9, 9]),
      ...tag(103, 5),
      1,
      2,
      3,
      4,
      ...ld(2, str('me')),
    ]);
    expect(readOnnxModel(model).producerName).to.equal('me');
  });

  it('rejects the empty buffer and non-bytes', () => {
    expectThrows(() => readOnnxModel(new Uint8Array(0)), ModelFormatError, /empty \(0 bytes\)/, /truncated or is not an ONNX model/);
    expectThrows(() => readOnnxModel([1, 2] as unknown as Uint8Array), ModelFormatError, /expected a Uint8Array/);
  });

  it('names the byte offset for overruns, bad wire types, long varints and bad UTF-8', () => {
    expectThrows(
      () => readOnnxModel(new Uint8Array([...tag(7, 2), ...varint(50), 1, 2])),
      ModelFormatError,
      /overruns its enclosing message \(2 bytes left\)/,
      /at byte offset 1/,
      /truncated or is not an ONNX model/,
    );
    expectThrows(() => readOnnxModel(new Uint8Array([...tag(5, 3)])), ModelFormatError, /unsupported wire type 3 at byte offset 0/);
    expectThrows(
      () => readOnnxModel(new Uint8Array([...tag(2, 0), 1])),
      ModelFormatError,
      /field 2 has wire type 0, expected 2 at byte offset 0/,
    );
    expectThrows(
      () => readOnnxModel(new Uint8Array([8, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])),
      ModelFormatError,
      /varint longer than 10 bytes at byte offset 1/,
    );
    expectThrows(() => readOnnxModel(new Uint8Array([8, 0x80])), ModelFormatError, /varint runs past the end of the data at byte offset 1/);
    expectThrows(() => readOnnxModel(new Uint8Array([0, 1])), ModelFormatError, /invalid field number 0 at byte offset 0/);
    expectThrows(
      () => readOnnxModel(new Uint8Array([...ld(2, [0xff, 0xfe])])),
      ModelFormatError,
      /producer_name is not valid UTF-8 at byte offset 2/,
    );
    expectThrows(() => readOnnxModel(new Uint8Array([...tag(9, 1), 1, 2, 3])), ModelFormatError, /64-bit field runs past the end/);
    // nested: the offset is absolute, and the message says where
    const nested = new Uint8Array([...ld(7, [...tag(11, 2), ...varint(9)])]);
    expectThrows(() => readOnnxModel(nested), ModelFormatError, /at byte offset 3 \(in ModelProto.graph\)/);
  });

  it('rejects a repeated metadata key', () => {
    const model = new Uint8Array([
      ...ld(14, [...ld(1, str('k')), ...ld(2, str('a'))]),
      ...ld(14, [...ld(1, str('k')), ...ld(2, str('b'))]),
    ]);
    expectThrows(() => metadataMap(readOnnxModel(model)), ModelFormatError, /contains the key "k" twice/);
  });

  it('every truncation of an exported model throws ModelFormatError or loses data (never a foreign error)', () => {
    let threw = 0;
    for (let cut = 0; cut < bytes.length; cut++) {
      const r = tryRead(bytes.subarray(0, cut));
      if (!r.ok) {
        expect(r.err, `cut ${cut}`).to.be.instanceOf(ModelFormatError);
        threw++;
      } else {
        // a cut on a top-level field boundary parses, but then the graph or the metadata is incomplete
        const m = r.model;
        expect(m.graph === null || m.metadataProps.length < 3, `cut ${cut} parsed as complete`).to.equal(true);
      }
    }
    expect(threw).to.be.greaterThan(bytes.length * 0.95);
  });

  it('random bytes and random bit flips: returns or throws ModelFormatError, quickly', () => {
    const rng = new Rng(12);
    const t0 = Date.now();
    const count = { ok: 0, err: 0 };
    for (let trial = 0; trial < 3000; trial++) {
      const len = rng.integer(400);
      const b = new Uint8Array(len);
      for (let i = 0; i < len; i++) b[i] = rng.integer(256);
      const r = tryRead(b);
      if (r.ok) count.ok++;
      else {
        expect(r.err, `trial ${trial}`).to.be.instanceOf(ModelFormatError);
        count.err++;
      }
    }
    for (let trial = 0; trial < 1000; trial++) {
      const b = Uint8Array.from(bytes);
      const flips = 1 + rng.integer(8);
      for (let f = 0; f < flips; f++) b[rng.integer(b.length)]! ^= 1 << rng.integer(8);
      const r = tryRead(b);
      if (!r.ok) expect(r.err, `flip trial ${trial}`).to.be.instanceOf(ModelFormatError);
    }
    expect(count.err).to.be.greaterThan(count.ok);
    expect(Date.now() - t0).to.be.below(10_000);
  });
});

describe('runtime/onnx-reader readGraphContents (graph name, constants, nodes, outputs)', function () {
  this.timeout(60_000);
  const p = randomParams(new Rng(31), 4, 3, 2);
  const bytes = exportGmmQf(p, metaFor(p));

  it('agrees with protobufjs on a real export: the name, every initializer value, every node and output', () => {
    const c = readGraphContents(bytes);
    const m = onnx.ModelProto.decode(bytes);
    expect(c.name).to.equal('gmmqf');
    expect(c.outputs).to.deep.equal(m.graph!.output!.map((o) => o.name));
    expect(c.nodes.map((n) => [n.name, n.opType, n.inputs, n.outputs])).to.deep.equal(
      m.graph!.node!.map((n) => [n.name, n.op_type, n.input, n.output]),
    );
    for (const t of m.graph!.initializer!) {
      const k = c.constants.get(t.name!)!;
      expect(k.dims, t.name!).to.deep.equal(t.dims!.map(Number));
      expect(k.dataType, t.name!).to.equal(t.data_type);
      const raw = Uint8Array.from(t.raw_data!);
      const want =
        t.data_type === 1
          ? Array.from(new Float32Array(raw.buffer))
          : t.data_type === 7
            ? Array.from(new BigInt64Array(raw.buffer), Number)
            : Array.from(new Float64Array(raw.buffer));
      expect(Array.from(k.values!), t.name!).to.deep.equal(want);
    }
  });

  it('reads typed fields (float_data, int64_data packed and unpacked, double_data) and Constant nodes', () => {
    const b = onnx.ModelProto.encode({
      graph: {
        name: 'g',
        initializer: [
          { name: 'f', dims: [2], data_type: 1, float_data: [1.5, -2] },
          { name: 'i', dims: [3], data_type: 7, int64_data: [1, -2, 3] },
          { name: 'd', dims: [1], data_type: 11, double_data: [0.1] },
          { name: 'e', dims: [1], data_type: 1, data_location: 1 },
        ],
        node: [
          {
            name: 'c1',
            op_type: 'Constant',
            output: ['cv'],
            attribute: [{ name: 'value', type: 4, t: { dims: [1], data_type: 11, double_data: [2.5] } }],
          },
          { name: 'c2', op_type: 'Constant', output: ['cf'], attribute: [{ name: 'value_float', type: 1, f: 0.25 }] },
          { name: 'c3', op_type: 'Constant', output: ['ci'], attribute: [{ name: 'value_ints', type: 7, ints: [4, 5] }] },
          { name: 'c4', op_type: 'Constant', output: ['f'], attribute: [{ name: 'value_float', type: 1, f: 9 }] },
        ],
      },
    }).finish();
    const c = readGraphContents(b);
    expect(c.name).to.equal('g');
    expect(Array.from(c.constants.get('f')!.values!)).to.deep.equal([1.5, -2]); // the initializer wins over a Constant node of the same name
    expect(Array.from(c.constants.get('i')!.values!)).to.deep.equal([1, -2, 3]);
    expect(Array.from(c.constants.get('d')!.values!)).to.deep.equal([0.1]);
    expect(c.constants.get('e')!.values).to.equal(null); // stored outside the file
    expect(Array.from(c.constants.get('cv')!.values!)).to.deep.equal([2.5]);
    expect(c.constants.get('cf')).to.deep.include({ dataType: 1, dims: [] });
    expect(Array.from(c.constants.get('cf')!.values!)).to.deep.equal([0.25]);
    expect(Array.from(c.constants.get('ci')!.values!)).to.deep.equal([4, 5]);
    // unpacked int64 dims (wire type 0 per element), as proto2 writers emit them
    const unpacked = Uint8Array.from([
      ...ld(
        7,
        ld(5, [
          ...tag(1, 0),
          ...varint(2),
          ...tag(2, 0),
          ...varint(7),
          ...ld(8, str('u')),
          ...tag(7, 0),
          ...varint(-1),
          ...tag(7, 0),
          ...varint(5),
        ]),
      ),
    ]);
    expect(Array.from(readGraphContents(unpacked).constants.get('u')!.values!)).to.deep.equal([-1, 5]);
  });

  it('a tensor whose value count differs from its dims is a ModelFormatError naming it', () => {
    const b = onnx.ModelProto.encode({
      graph: { initializer: [{ name: 'bad', dims: [3], data_type: 1, raw_data: new Uint8Array(8) }] },
    }).finish();
    expectThrows(() => readGraphContents(b), ModelFormatError, /tensor "bad" holds 2 values but its dims \[3\] need 3/);
  });

  it('every truncation and random bit flips of an export: returns or throws ModelFormatError', () => {
    const rng = new Rng(32);
    for (let len = 0; len < bytes.length; len += 1 + rng.integer(7)) {
      try {
        readGraphContents(bytes.subarray(0, len));
      } catch (err) {
        expect(err, `length ${len}`).to.be.instanceOf(ModelFormatError);
      }
    }
    for (let trial = 0; trial < 500; trial++) {
      const b = Uint8Array.from(bytes);
      for (let f = 0; f < 1 + rng.integer(8); f++) b[rng.integer(b.length)]! ^= 1 << rng.integer(8);
      try {
        readGraphContents(b);
      } catch (err) {
        expect(err, `flip trial ${trial}`).to.be.instanceOf(ModelFormatError);
      }
    }
  });
});
