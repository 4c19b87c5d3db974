/**
 * The observation fuzz of observations.spec.ts, shared with scripts/observation-fuzz.mjs (which runs
 * it with large counts): random observation arguments against a policy, each ending in finite
 * outputs or a ValueError / ShapeError; for flat numeric observations the documented rule
 * (runtime/README.md, "Observations the model computes") predicts which.
 */
import { ShapeError, ValueError } from '../../contract/errors.js';
import type { Rng } from '../../contract/rng.js';
import type { Policy } from '../../runtime/policy.js';

const FLOAT32_MAX = 3.4028234663852886e38;

/** The next number above |x| in the precision (x > 0). */
export function nextUp(x: number, f64: boolean): number {
  if (f64) {
    const b = new Float64Array([x]);
    new BigInt64Array(b.buffer)[0]! += 1n;
    return b[0]!;
  }
  const b = new Float32Array([x]);
  new Int32Array(b.buffer)[0]! += 1;
  return b[0]!;
}

/** What a fuzz run saw. */
export interface FuzzCounts {
  cases: number;
  accepted: number;
  refused: number;
  nonFinite: number;
  untyped: number;
  /** Cases whose outcome differs from the rule's prediction (flat numeric observations only). */
  mispredicted: string[];
}

/**
 * `cases` random observation arguments against `pol` (act, outputs, q, envAction; greedy and
 * sampled). For a flat numeric observation the rule predicts the outcome (lengths D or N·D, every
 * entry finite, within float32 for a float32 model, within observationLimit, acrobot pairs not
 * below 2^-100); a mismatch is recorded.
 */
export async function fuzzObservations(pol: Policy, rng: Rng, cases: number): Promise<FuzzCounts> {
  const L = pol.info.observationLimit;
  const D = L.length;
  const f64 = pol.info.precision === 'float64';
  const pairs = pol.info.metadata.features?.kind === 'acrobot-angles';
  const counts: FuzzCounts = { cases: 0, accepted: 0, refused: 0, nonFinite: 0, untyped: 0, mispredicted: [] };
  const pick = <T>(xs: readonly T[]): T => xs[rng.integer(xs.length)]!;
  const entry = (i: number): number => {
    const lim = L[i % D]!;
    return pick([
      () => rng.normal(),
      () => NaN,
      () => (rng.uniform() < 0.5 ? Infinity : -Infinity),
      () => (rng.uniform() < 0.5 ? -1 : 1) * lim,
      () => (rng.uniform() < 0.5 ? -1 : 1) * nextUp(lim, f64),
      () => (rng.uniform() < 0.5 ? -1 : 1) * lim * rng.uniform(),
      () => (rng.uniform() < 0.5 ? -1 : 1) * FLOAT32_MAX,
      () => 3.5e38,
      () => 1e38,
      () => 2 ** -149,
      () => -(2 ** -140),
      () => -0,
      () => 0,
      () => 1e300,
    ])();
  };
  const accepts = (flat: ArrayLike<number>, typedF32: boolean): boolean => {
    if (flat.length === 0 || flat.length % D !== 0) return false;
    for (let i = 0; i < flat.length; i++) {
      const v = typedF32 || f64 ? flat[i]! : Math.fround(flat[i]!);
      if (!Number.isFinite(v) || Math.abs(v) > L[i % D]!) return false;
    }
    if (pairs) {
      for (let r = 0; r < flat.length; r += D) {
        for (const c of [0, 2]) {
          const x = f64 || typedF32 ? flat[r + c]! : Math.fround(flat[r + c]!);
          const y = f64 || typedF32 ? flat[r + c + 1]! : Math.fround(flat[r + c + 1]!);
          if (Math.max(Math.abs(x), Math.abs(y)) < 2 ** -100) return false;
        }
      }
    }
    return true;
  };
  for (let c = 0; c < cases; c++) {
    const kind = rng.integer(10);
    let obs: unknown;
    let predict: boolean | null = null;
    const n = 1 + rng.integer(3);
    if (kind <= 3) {
      // flat numbers, mostly of a valid length; some entries from the extremes pool
      const len = rng.uniform() < 0.85 ? n * D : rng.integer(3 * D + 2);
      const a = Array.from({ length: len }, (_, i) => (rng.uniform() < 0.3 ? entry(i) : rng.normal()));
      const asF32 = kind === 1;
      const asF64 = kind === 2;
      obs = asF32 ? Float32Array.from(a) : asF64 ? Float64Array.from(a) : a;
      predict = accepts(obs as ArrayLike<number>, asF32);
    } else if (kind === 4) {
      // rows
      const rows = Array.from({ length: n }, () =>
        Array.from({ length: rng.uniform() < 0.9 ? D : D + 1 }, (_, i) => (rng.uniform() < 0.2 ? entry(i) : rng.normal())),
      );
      obs = rows;
      predict = rows.every((r) => r.length === D) && accepts(rows.flat(), false);
    } else if (kind === 5) {
      // typed arrays of other kinds (integers: always finite, within every limit)
      const T = pick([Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array]);
      obs = (T as unknown as { from(a: number[]): unknown }).from(
        Array.from({ length: rng.uniform() < 0.8 ? D : D + 1 }, () => rng.integer(100)),
      );
    } else if (kind === 6) {
      obs = pick<unknown>([
        '0.1,0.2',
        null,
        undefined,
        42,
        { length: D },
        new DataView(new ArrayBuffer(4 * D)),
        new ArrayBuffer(4 * D),
        BigInt64Array.of(1n),
        [],
        [[]],
        true,
      ]);
    } else if (kind === 7) {
      // rows mixing types
      obs = [Array.from({ length: D }, () => rng.normal()), pick<unknown>(['x', null, 7, Array.from({ length: D }, () => '1')])];
    } else if (kind === 8) {
      // entries of the wrong type
      obs = Array.from({ length: D }, (_, i) =>
        i === rng.integer(D) ? pick<unknown>(['1', null, true, 1n, {}, undefined]) : rng.normal(),
      );
    } else {
      // one observation of extremes only
      obs = Array.from({ length: D }, (_, i) => entry(i));
      predict = accepts(obs as number[], false);
    }
    const method = rng.integer(4);
    const mode = rng.uniform() < 0.5 || pol.info.sampling === null ? 'greedy' : 'sample';
    counts.cases++;
    let ok = false;
    try {
      if (method === 0) {
        const r = await pol.outputs(obs as number[], { mode });
        for (const t of Object.values(r.outputs)) for (const v of t.data) if (!Number.isFinite(v)) counts.nonFinite++;
      } else if (method === 1) {
        const a = await pol.act(obs as number[], { mode });
        const flat: number[] =
          typeof a === 'number' ? [a] : Array.isArray(a) ? a.flatMap((x) => Array.from(x)) : Array.from(a as ArrayLike<number>);
        for (const v of flat) if (!Number.isFinite(v)) counts.nonFinite++;
      } else if (method === 2 && pol.info.family !== 'mixture-actor') {
        const q = await pol.q(obs as number[]);
        const flat = Array.isArray(q) ? q.flatMap((x) => Array.from(x)) : Array.from(q);
        for (const v of flat) if (!Number.isFinite(v)) counts.nonFinite++;
      } else {
        const a = await pol.envActionBatch(obs as number[], { mode });
        const flat: number[] = Array.isArray(a) ? a.flatMap((x) => Array.from(x)) : Array.from(a as ArrayLike<number>);
        for (const v of flat) if (!Number.isFinite(v)) counts.nonFinite++;
      }
      ok = true;
      counts.accepted++;
    } catch (err) {
      if (err instanceof ValueError || err instanceof ShapeError) counts.refused++;
      else {
        counts.untyped++;
        counts.mispredicted.push(`case ${c}: ${(err as Error).constructor?.name}: ${(err as Error).message}`);
      }
    }
    if (predict !== null && predict !== ok)
      counts.mispredicted.push(
        `case ${c}: predicted ${predict ? 'accept' : 'refuse'}, got ${ok ? 'accept' : 'refuse'}: ${JSON.stringify(Array.from(obs as ArrayLike<number>, String))}`,
      );
  }
  return counts;
}
