#!/usr/bin/env node
/**
 * The observation fuzz of spec/runtime/observations.spec.ts with large counts (run after `npm run
 * build`): for every exporter-built model of spec/runtime/exported-models.ts, CASES random
 * observation arguments (NaN, ±∞, ±extremes around policy.info.observationLimit, denormals, −0,
 * wrong lengths and types, typed arrays of other kinds, batches; greedy and sampled) through act,
 * outputs, q and envActionBatch. Prints per model and in total: cases, accepted, refused-typed
 * (ValueError / ShapeError), NaN-returned (any non-finite output), untyped (any other error) and
 * mispredicted (outcome against the documented rule); exits 1 unless the last three are 0.
 *
 *   node scripts/observation-fuzz.mjs [--cases N] [--seed S]
 */
import { loadPolicy } from '../dist/runtime/index.node.js';
import { Rng } from '../dist/contract/rng.js';
import { exportedModels } from '../dist/spec/runtime/exported-models.js';
import { fuzzObservations } from '../dist/spec/runtime/observation-fuzz.js';

const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(name);
  return i < 0 ? dflt : Number(args[i + 1]);
};
const CASES = flag('--cases', 20000);
const SEED = flag('--seed', 1);

const total = { cases: 0, accepted: 0, refused: 0, nonFinite: 0, untyped: 0, mispredicted: 0 };
for (const [i, m] of exportedModels().entries()) {
  const pol = await loadPolicy(m.bytes, { seed: SEED });
  const c = await fuzzObservations(pol, new Rng(SEED * 1000 + i), CASES);
  await pol.dispose();
  console.log(
    `${m.name.padEnd(40)} cases ${c.cases}  accepted ${c.accepted}  refused-typed ${c.refused}  NaN-returned ${c.nonFinite}  untyped ${c.untyped}  mispredicted ${c.mispredicted.length}`,
  );
  for (const line of c.mispredicted.slice(0, 5)) console.log(`  ${line}`);
  total.cases += c.cases;
  total.accepted += c.accepted;
  total.refused += c.refused;
  total.nonFinite += c.nonFinite;
  total.untyped += c.untyped;
  total.mispredicted += c.mispredicted.length;
}
console.log(
  `total: cases ${total.cases}, accepted ${total.accepted}, refused-typed ${total.refused}, NaN-returned ${total.nonFinite}, untyped ${total.untyped}, mispredicted ${total.mispredicted}`,
);
process.exitCode = total.nonFinite + total.untyped + total.mispredicted === 0 ? 0 : 1;
