#!/usr/bin/env node
/**
 * Random single-field edits of the gmmrl metadata of every exporter-built model of
 * spec/runtime/exported-models.ts (run after `npm run build`): a number moved (±1, ×2, ×½, negated,
 * 0, one float32 ulp, +0.25, 1e30), an enum or string swapped, the family relabelled; the model is
 * re-serialized with the edited metadata_props and loaded. Each case is accepted (it loads) or
 * refused-typed (a GmmrlError: ModelFormatError from the metadata validation or the cross-checks);
 * an accepted edit of a field the graph holds (runtime/README.md, "Metadata against the graph"),
 * that changes its value beyond the stated tolerance, is contradictory-accepted; any other error is
 * untyped (tolerances: ε and σ compared after rounding to the model's precision, a box bound within
 * one ulp of it, as the stored constants cannot tell them apart). Prints the counts per model and in total; exits 1 unless contradictory-accepted and
 * untyped are 0.
 *
 *   node scripts/metadata-fuzz.mjs [--cases N] [--seed S]
 */
import { loadPolicy } from '../dist/runtime/index.node.js';
import { GmmrlError } from '../dist/contract/errors.js';
import { Rng } from '../dist/contract/rng.js';
import { onnx } from '../dist/exporters/onnx/proto/onnx.js';
import { exportedModels } from '../dist/spec/runtime/exported-models.js';

const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(name);
  return i < 0 ? dflt : Number(args[i + 1]);
};
const CASES = flag('--cases', 300);
const SEED = flag('--seed', 1);

const FAMILIES = ['gmmqf', 'dqn', 'mixture-actor', 'gamid-actor'];
const ENUMS = {
  family: FAMILIES,
  precision: ['float32', 'float64'],
  'sampling.noise': ['inputs', 'in-graph'],
  'network.activation': ['relu', 'tanh', 'none'],
  'features.kind': ['identity', 'acrobot-angles'],
  'action_space.kind': ['discrete', 'grid', 'box'],
};

/** Leaves [path, value] of the JSON: numbers everywhere, strings of the ENUMS paths. */
function leaves(o, path = [], out = []) {
  if (typeof o === 'number') out.push([path, o]);
  else if (typeof o === 'string' && ENUMS[path.filter((p) => typeof p === 'string').join('.')]) out.push([path, o]);
  else if (Array.isArray(o)) o.forEach((x, i) => leaves(x, [...path, i], out));
  else if (o && typeof o === 'object') for (const [k, v] of Object.entries(o)) leaves(v, [...path, k], out);
  return out;
}

/** Does the graph hold this field (the README table)? */
function held(path, m) {
  const key = path.filter((p) => typeof p === 'string').join('.');
  const top = path[0];
  if (['family', 'components', 'precision', 'inputs', 'outputs', 'features'].includes(top)) return true;
  if (top === 'normalization') return key !== 'normalization.formula';
  if (top === 'sampling') return ['sampling.epsilon', 'sampling.exploration_std', 'sampling.noise', 'sampling.kind'].includes(key);
  if (top === 'action_space') return !(m.action_space.kind === 'grid' && (key === 'action_space.low' || key === 'action_space.high'));
  if (top === 'network') return key !== 'network.activation' || m.network.layers.length > 2;
  if (top === 'parameter_count') return m.family !== 'gmmqf';
  if (top === 'sparsity') return key === 'sparsity.components_trained' || key === 'sparsity.components_pruned';
  if (top === 'observation_space') return key === 'observation_space.shape';
  return false;
}

const set = (o, path, v) => (path.slice(0, -1).reduce((x, p) => x[p], o)[path.at(-1)] = v);
function f32up(x) {
  const b = new Float32Array([x]);
  new Int32Array(b.buffer)[0] += x >= 0 ? 1 : -1;
  return b[0];
}

/** One unit in the last place of x in float32 (or float64). */
function ulp(x, f64) {
  const e = Math.floor(Math.log2(Math.abs(x) || 2 ** -126));
  return f64 ? 2 ** (e - 52) : 2 ** (e - 23);
}

const total = { cases: 0, accepted: 0, refused: 0, contradictory: 0, untyped: 0, noop: 0 };
for (const [mi, model] of exportedModels().entries()) {
  const rng = new Rng(SEED * 1000 + mi);
  const decoded = onnx.ModelProto.decode(model.bytes);
  const metaEntry = decoded.metadata_props.find((e) => e.key === 'gmmrl.metadata');
  const base = JSON.parse(metaEntry.value);
  const f64 = base.precision === 'float64';
  const round = f64 ? (x) => x : Math.fround;
  const all = leaves(base);
  const c = { cases: 0, accepted: 0, refused: 0, contradictory: 0, untyped: 0, noop: 0, examples: [] };
  for (let n = 0; n < CASES; n++) {
    const [path, old] = all[rng.integer(all.length)];
    const key = path.filter((p) => typeof p === 'string').join('.');
    let v;
    if (typeof old === 'number') {
      const ops = [(x) => x + 1, (x) => x - 1, (x) => 2 * x, (x) => 0.5 * x, (x) => -x, () => 0, f32up, (x) => x + 0.25, () => 1e30];
      v = ops[rng.integer(ops.length)](old);
    } else {
      const choices = ENUMS[key].filter((x) => x !== old);
      v = choices[rng.integer(choices.length)];
    }
    // within the stated tolerance: ε and σ are stored rounded to F; a box bound within one ulp of F of its value gives the same stored constants
    const boxBound = base.action_space.kind === 'box' && (key === 'action_space.low' || key === 'action_space.high');
    const noop =
      key === 'sampling.epsilon' || key === 'sampling.exploration_std'
        ? round(v) === round(old)
        : boxBound
          ? Math.abs(v - old) <= ulp(old, f64)
          : Object.is(v, old) || v === old;
    const m = structuredClone(base);
    set(m, path, v);
    const edited = onnx.ModelProto.decode(model.bytes);
    edited.metadata_props.find((e) => e.key === 'gmmrl.metadata').value = JSON.stringify(m);
    if (key === 'family') edited.metadata_props.find((e) => e.key === 'gmmrl.family').value = v;
    const bytes = onnx.ModelProto.encode(edited).finish();
    c.cases++;
    if (noop) c.noop++;
    try {
      const pol = await loadPolicy(bytes);
      await pol.dispose();
      c.accepted++;
      if (held(path, base) && !noop) {
        c.contradictory++;
        c.examples.push(`${path.join('.')}: ${JSON.stringify(old)} → ${JSON.stringify(v)} loaded`);
      }
    } catch (err) {
      if (err instanceof GmmrlError) c.refused++;
      else {
        c.untyped++;
        c.examples.push(`${path.join('.')}: ${JSON.stringify(old)} → ${JSON.stringify(v)}: ${err?.constructor?.name}: ${err?.message}`);
      }
    }
  }
  console.log(
    `${model.name.padEnd(40)} cases ${c.cases}  accepted ${c.accepted}  refused-typed ${c.refused}  contradictory-accepted ${c.contradictory}  untyped ${c.untyped}  (no-op edits ${c.noop})`,
  );
  for (const e of c.examples.slice(0, 5)) console.log(`  ${e}`);
  for (const k of Object.keys(total)) total[k] += c[k];
}
console.log(
  `total: cases ${total.cases}, accepted ${total.accepted}, refused-typed ${total.refused}, contradictory-accepted ${total.contradictory}, untyped ${total.untyped} (no-op edits ${total.noop})`,
);
process.exitCode = total.contradictory + total.untyped === 0 ? 0 : 1;
