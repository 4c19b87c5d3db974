/**
 * The safetensors decoder trusts nothing: each defect of the format is a ModelFormatError naming the
 * file, the tensor (or the header) and the byte range. (The round trip and truncations are in
 * spec/models/gmmqf/checkpoint.spec.ts.)
 */
import { expect } from 'chai';
import { ModelFormatError } from '../../contract/errors.js';
import { decodeSafetensors, encodeSafetensors } from '../../models/safetensors.js';
import { expectThrows } from '../helpers.js';

/** A file with the given header text and data bytes (the header length field set to the text's length unless `length` says otherwise). */
function file(header: string, data: Uint8Array = new Uint8Array(0), length?: number): Uint8Array {
  const h = Buffer.from(header, 'utf8');
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(length ?? h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

const f64 = (...xs: number[]) => new Uint8Array(Float64Array.from(xs).buffer);
const two = (a: number[], b: number[]) =>
  JSON.stringify({ a: { dtype: 'F64', shape: [1], data_offsets: a }, b: { dtype: 'F64', shape: [1], data_offsets: b } });

describe('models/safetensors: the decoder refuses every defect, naming file, tensor and byte range', () => {
  it('decodes a well-formed file whatever the order of the header keys (the format orders by offset)', () => {
    const { tensors } = decodeSafetensors(file(two([8, 16], [0, 8]), f64(1, 2)), 'w');
    expect(Array.from(tensors['a']!.data as Float64Array)).to.deep.equal([2]);
    expect(Array.from(tensors['b']!.data as Float64Array)).to.deep.equal([1]);
    // zero-size tensors take no bytes and may share an offset
    const z = JSON.stringify({
      e: { dtype: 'F32', shape: [0, 3], data_offsets: [0, 0] },
      a: { dtype: 'F64', shape: [1], data_offsets: [0, 8] },
    });
    expect(decodeSafetensors(file(z, f64(5)), 'w').tensors['e']!.shape).to.deep.equal([0, 3]);
  });

  const cases: [string, Uint8Array, RegExp[]][] = [
    [
      'a header length beyond the file',
      file('{}', new Uint8Array(0), 1000),
      [/header length 1000 exceeds the file size \(10 bytes; the header would take bytes \[8, 1008\)\)/],
    ],
    ['a header that is not JSON', file('{"a": '), [/header is not valid UTF-8 JSON/, /header bytes \[8, 14\)/]],
    ['a header that is not an object', file('[1, 2]'), [/header must be a JSON object, got \[1, 2\]/]],
    [
      'a duplicate tensor name',
      file(
        '{"a": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}, "a": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}}',
        f64(1),
      ),
      [/duplicate key "a"/],
    ],
    [
      'a duplicate dtype',
      file('{"a": {"dtype": "F64", "dtype": "F32", "shape": [1], "data_offsets": [0, 8]}}', f64(1)),
      [/duplicate key "dtype"/],
    ],
    [
      'an unknown dtype',
      file(JSON.stringify({ a: { dtype: 'BF16', shape: [4], data_offsets: [0, 8] } }), f64(1)),
      [/tensor "a" has dtype "BF16"; supported: F64, F32, I32, I64/],
    ],
    [
      'an unknown entry field',
      file(JSON.stringify({ a: { dtype: 'F64', shape: [1], data_offsets: [0, 8], scale: 2 } }), f64(1)),
      [/tensor "a" has unknown field\(s\) "scale"/],
    ],
    [
      'a shape whose product overflows',
      file(JSON.stringify({ a: { dtype: 'F64', shape: [2 ** 40, 2 ** 40, 2 ** 40], data_offsets: [0, 8] } }), f64(1)),
      [
        /tensor "a" spans 8 bytes \(bytes \[0, 8\) of the data section \(file bytes \[\d+, \d+\)\)\) but shape \[.*\] of F64 needs more than 2⁵³/,
      ],
    ],
    [
      'a shape that disagrees with the byte range',
      file(JSON.stringify({ a: { dtype: 'F64', shape: [2], data_offsets: [0, 8] } }), f64(1)),
      [/tensor "a" spans 8 bytes .* needs 16/],
    ],
    [
      'offsets with begin > end',
      file(JSON.stringify({ a: { dtype: 'F64', shape: [1], data_offsets: [8, 0] } }), f64(1)),
      [/tensor "a" has data_offsets \[8, 0\]/],
    ],
    ['overlapping offsets', file(two([0, 8], [4, 12]), f64(1, 2)), [/overlaps tensor "a"/, /bytes \[4, 12\) of the data section/]],
    [
      'offsets outside the buffer',
      file(two([0, 8], [8, 16]), f64(1)),
      [/tensor "b" occupies bytes \[8, 16\) of the data section .*beyond the 8-byte data section/],
    ],
    [
      'a gap between tensors',
      file(two([0, 8], [16, 24]), f64(1, 2, 3)),
      [/bytes \[8, 16\) of the data section .* before tensor "b" belong to no tensor \(a gap/],
    ],
    [
      'a gap before the first tensor',
      file(JSON.stringify({ a: { dtype: 'F64', shape: [1], data_offsets: [8, 16] } }), f64(1, 2)),
      [/bytes \[0, 8\) .* before tensor "a" belong to no tensor/],
    ],
    [
      'trailing bytes',
      file(JSON.stringify({ a: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }), f64(1, 2)),
      [/bytes \[8, 16\) of the data section .* after the last tensor belong to no tensor \(trailing bytes\)/],
    ],
    [
      '__metadata__ that is not string → string',
      file(JSON.stringify({ __metadata__: { format: 1 } })),
      [/"__metadata__" is \{"format":1\}; it must map strings to strings/],
    ],
    [
      'a tensor named __proto__',
      file('{"__proto__": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}}', f64(1)),
      [/tensor "__proto__" is not a valid tensor name/],
    ],
  ];
  for (const [what, bytes, patterns] of cases) {
    it(`refuses ${what}`, () => {
      expectThrows(() => decodeSafetensors(bytes, 'dir/w.safetensors'), ModelFormatError, /^dir\/w\.safetensors: /, ...patterns);
    });
  }

  it('the encoder writes files the strict decoder reads back', () => {
    const bytes = encodeSafetensors(
      { a: { dtype: 'F32', shape: [3], data: Float32Array.from([1, 2, 3]) }, b: { dtype: 'I64', shape: [0], data: new BigInt64Array(0) } },
      { k: 'v' },
    );
    const { tensors, metadata } = decodeSafetensors(bytes, 'x');
    expect(Object.keys(tensors)).to.deep.equal(['a', 'b']);
    expect(metadata).to.deep.equal({ k: 'v' });
  });
});
