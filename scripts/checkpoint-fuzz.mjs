#!/usr/bin/env node
/**
 * The big checkpoint corruption loop (the spec runs 300 cases; this runs N, default 5000, seeded):
 * node scripts/checkpoint-fuzz.mjs [N] [seed] after `npm run build`. Prints the counts for the
 * closing note: cases, accepted-identical, accepted-different (a valid value of a parameter only the
 * config holds, in a config without config_sha256: only the legacy copies of the bases), refused-typed, untyped (must be 0), hangs (cases over 10 s, must be 0). Exits 1 when
 * untyped or hangs is not 0, listing them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBases, randomMutation, runCase } from '../dist/spec/models/checkpoint-fuzz.js';
import { Rng } from '../dist/sdk/util/rng.js';

const N = Number(process.argv[2] ?? 5000);
const seed = Number(process.argv[3] ?? 1);
const root = mkdtempSync(join(tmpdir(), 'gmmrl-fuzz-'));
try {
  const bases = makeBases(root);
  const rng = new Rng(seed);
  const counts = { identical: 0, 'different-parameter': 0, refused: 0, untyped: 0 };
  const untyped = [];
  let hangs = 0;
  for (let c = 0; c < N; c++) {
    const base = bases[c % bases.length];
    const m = randomMutation(rng, base);
    const t0 = Date.now();
    const o = runCase(base, m, join(root, 'case'));
    if (Date.now() - t0 > 10000) hangs++;
    counts[o.kind]++;
    if (o.kind === 'untyped') untyped.push(`${base.name}: ${m.label}: ${o.error}`);
  }
  console.log(
    `checkpoint fuzz (seed ${seed}): cases ${N}, accepted-identical ${counts.identical}, accepted-different (config-held parameter, legacy configs only) ${counts['different-parameter']}, refused-typed ${counts.refused}, untyped ${counts.untyped}, hangs ${hangs}`,
  );
  for (const u of untyped.slice(0, 20)) console.log(`  untyped: ${u}`);
  process.exitCode = counts.untyped === 0 && hangs === 0 ? 0 : 1;
} finally {
  rmSync(root, { recursive: true, force: true });
}
