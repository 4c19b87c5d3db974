/**
 * Fuzzed model files (seeded; the large loop is scripts/model-fuzz.mjs): truncations, single-byte
 * flips anywhere and random buffers of an exported model, through both entries. Each must be
 * refused with ModelFormatError / FileReadError or load and behave exactly as the original; none may
 * load with other outputs, throw anything untyped or hang.
 *
 * With the integrity digest (model_sha256 covers every byte of the file but its own 64 digits) every
 * flip is refused. A flip inside the digest's own field name ("model_sha256" → "model_sha2x6") leaves
 * no digest where the runtime looks for it; the runtime recognises that damaged field (runtime/
 * digest.ts damagedDigestField) instead of loading the file as one that never had a digest.
 *
 * The same flips on the file without its digest (as exported before the digest existed) load with
 * other outputs in some cases: the harness does see a difference when there is one, and it is what
 * the digest is for.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODEL_SHA256_PREFIX } from '../../contract/metadata.js';
import { ModelFormatError } from '../../contract/errors.js';
import { loadPolicy as loadNode } from '../../runtime/index.node.js';
import { loadPolicy as loadWeb } from '../../runtime/index.web.js';
import { goldenRoot } from '../golden/golden-io.js';
import { behaviour, classify, emptyCounts, fuzzCases, probeRows, type Loader } from './fuzz-harness.js';
import { editMetadataJson } from './model-edit.js';

const MODEL = join(goldenRoot(), 'gmmqf-cartpole', 'model.onnx');

async function run(load: Loader, bytes: Uint8Array, opts: Parameters<typeof fuzzCases>[1]) {
  const ref = await load(bytes);
  const rows = probeRows(ref);
  const want = await behaviour(ref, rows);
  await ref.dispose();
  const counts = emptyCounts();
  const accepted: number[] = [];
  for (const c of fuzzCases(bytes, opts)) {
    const before = counts.acceptedIdentical;
    await classify(load, c, rows, want, counts);
    if (counts.acceptedIdentical > before && c.at !== undefined) accepted.push(c.at);
  }
  return { counts, accepted };
}

describe('runtime: fuzzed model files — refused with a typed error, or loaded and identical (seeded)', function () {
  this.timeout(300_000);
  const bytes = new Uint8Array(readFileSync(MODEL));
  const text = Buffer.from(bytes).toString('latin1');
  const name = text.lastIndexOf(MODEL_SHA256_PREFIX) + 1; // the 12 bytes of model_sha256 inside its quotes

  for (const [entry, load, scale] of [
    ['onnxruntime-node', (b: Uint8Array) => loadNode(b), 1],
    ['onnxruntime-web', (b: Uint8Array) => loadWeb(b), 0.5],
  ] as const) {
    it(`${entry}: truncations, byte flips anywhere and random buffers of a sealed gmmqf file: every graph or metadata flip refused`, async () => {
      const n = (k: number): number => Math.round(k * scale);
      const { counts, accepted } = await run(load, bytes, { seed: 11, truncations: n(150), flips: n(300), randoms: n(50) });
      expect(counts.problems, counts.problems.join('\n')).to.deep.equal([]);
      expect(counts.cases).to.equal(n(150) + n(300) + n(50));
      expect([counts.acceptedDifferent, counts.untyped, counts.hangs]).to.deep.equal([0, 0, 0]);
      expect(accepted, 'accepted flips (byte offsets)').to.deep.equal([]);
      expect(counts.refusedTyped).to.equal(counts.cases);
    });
  }

  it("a flip of any byte of the digest field's name, quotes or colon is refused as a damaged digest, not loaded as a file without one", async () => {
    const start = name - 1; // the opening quote of "model_sha256":"
    for (let i = start; i < start + MODEL_SHA256_PREFIX.length; i++) {
      for (const x of [0x01, 0x20, 0x80]) {
        const b = bytes.slice();
        b[i] = b[i]! ^ x;
        const err = await loadNode(b).then(
          async (p) => (await p.dispose(), null),
          (e: unknown) => e,
        );
        expect(err, `flip 0x${x.toString(16)} at ${i} (${JSON.stringify(text[i])})`).to.be.instanceOf(ModelFormatError);
      }
    }
  });

  it('the same flips on the file without its digest: some load with other outputs (what the digest prevents)', async () => {
    const bare = editMetadataJson(bytes, (o) => delete o['model_sha256']);
    const probe = await loadNode(bare);
    expect(probe.info.integrity).to.equal('unverified');
    await probe.dispose();
    const quiet = (b: Uint8Array) => loadNode(b, { sessionOptions: { logSeverityLevel: 3 } }); // ORT's warnings on damaged graphs
    const { counts } = await run(quiet, bare, { seed: 11, truncations: 0, flips: 300, randoms: 0 });
    expect([counts.untyped, counts.hangs]).to.deep.equal([0, 0]);
    expect(counts.acceptedDifferent, 'no flip of an unsealed file changed the outputs: the harness would not see a difference').to.be.above(
      0,
    );
  });
});
