#!/usr/bin/env node
/**
 * The large model-file fuzz loop, for the closing note (spec/runtime/model-fuzz.spec.ts runs a few
 * hundred seeded cases of it on every build): for one golden model per family, every truncation
 * length, a few thousand single-byte flips anywhere and some random buffers through loadPolicy
 * (onnxruntime-node), each classified as refused with a typed error or loaded — and then with
 * exactly the original's outputs (greedy, and sampled with fixed noise) or not. Then the same flips
 * on the file with its digest removed, as exported before the digest existed, for comparison.
 *
 *   npm run build && node scripts/model-fuzz.mjs [--flips 3000] [--randoms 200] [--seed 1] [--json]
 *
 * Prints per family: cases, accepted-identical (of which unverified: the flip renamed the digest's
 * own field), refused-typed, accepted-different, untyped, hangs. The last three must be 0 for the
 * sealed files; the script exits 1 otherwise.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPolicy } from '../dist/runtime/index.node.js';
import { goldenRoot } from '../dist/spec/golden/golden-io.js';
import { behaviour, classify, emptyCounts, fuzzCases, probeRows } from '../dist/spec/runtime/fuzz-harness.js';
import { editMetadataJson } from '../dist/spec/runtime/model-edit.js';

const MODELS = ['gmmqf-cartpole', 'dqn-pendulum-grid', 'sac-sgm-pendulum', 'sac-sgm-pendulum-float64', 'gamid-pendulum'];

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) {
    console.error(`--${name} takes a non-negative integer, got ${JSON.stringify(process.argv[i + 1])}`);
    process.exit(2);
  }
  return v;
}
const flips = flag('flips', 3000);
const randoms = flag('randoms', 200);
const seed = flag('seed', 1);
const json = process.argv.includes('--json');

// ONNX Runtime's own warnings about the damaged graphs it is shown (unsealed files) would drown the counts
const load = (b) => loadPolicy(b, { sessionOptions: { logSeverityLevel: 4 } });

async function fuzz(bytes, opts) {
  const ref = await load(bytes);
  const rows = probeRows(ref);
  const want = await behaviour(ref, rows);
  await ref.dispose();
  const counts = emptyCounts();
  for (const c of fuzzCases(bytes, opts)) await classify(load, c, rows, want, counts);
  return counts;
}

const report = [];
let bad = false;
for (const name of MODELS) {
  const bytes = new Uint8Array(readFileSync(join(goldenRoot(), name, 'model.onnx')));
  const t0 = performance.now();
  const sealed = await fuzz(bytes, { seed, truncations: 'all', flips, randoms });
  const bare = editMetadataJson(bytes, (o) => delete o['model_sha256']);
  const unsealed = await fuzz(bare, { seed, truncations: 0, flips, randoms: 0 });
  const row = { model: name, bytes: bytes.length, sealed, unsealed, seconds: Math.round((performance.now() - t0) / 100) / 10 };
  report.push(row);
  if (sealed.acceptedDifferent + sealed.untyped + sealed.hangs > 0) bad = true;
  if (!json) {
    const line = (label, c) =>
      `  ${label.padEnd(28)} cases ${c.cases}, accepted-identical ${c.acceptedIdentical} (unverified ${c.acceptedUnverified}), ` +
      `refused-typed ${c.refusedTyped}, accepted-different ${c.acceptedDifferent}, untyped ${c.untyped}, hangs ${c.hangs}`;
    console.log(`${name} (${bytes.length} bytes, ${row.seconds} s)`);
    console.log(line('sealed (with model_sha256):', sealed));
    console.log(line('same flips, digest removed:', unsealed));
    for (const p of sealed.problems) console.log(`    problem: ${p}`);
  }
}
if (json) console.log(JSON.stringify(report, null, 2));
process.exitCode = bad ? 1 : 0;
