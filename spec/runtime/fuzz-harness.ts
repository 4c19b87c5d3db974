/**
 * Model-file fuzzing, shared by spec/runtime/model-fuzz.spec.ts (a few hundred seeded cases) and
 * scripts/model-fuzz.mjs (every truncation length and thousands of byte flips per family, for the
 * closing note): damaged variants of one exported file go through loadPolicy, and each must either
 * be refused with a typed error (ModelFormatError, FileReadError) or load and behave exactly as the
 * original — the same outputs, greedy and sampled with the same noise, on the same observations.
 */
import { FileReadError, ModelFormatError } from '../../contract/errors.js';
import { Rng } from '../../contract/rng.js';
import type { Policy } from '../../runtime/types.js';

export type Loader = (bytes: Uint8Array) => Promise<Policy>;

/** One damaged file: how it was made, and the bytes. */
export interface FuzzCase {
  kind: 'truncation' | 'flip' | 'random';
  what: string;
  /** For flips: the byte offset (to attribute refusals and acceptances to a region of the file). */
  at?: number;
  bytes: Uint8Array;
}

export interface FuzzCounts {
  cases: number;
  /** Loaded and behaved exactly as the original. */
  acceptedIdentical: number;
  /** Of those, loaded with integrity 'unverified' (the damage hit the digest's own field name: see model-fuzz.spec.ts). */
  acceptedUnverified: number;
  refusedTyped: number;
  /** Loaded but behaved differently (or could not run the original's observations): must be 0. */
  acceptedDifferent: number;
  /** Refused with anything but ModelFormatError / FileReadError (a TypeError, a RangeError, …): must be 0. */
  untyped: number;
  /** Neither loaded nor refused within the time limit: must be 0. */
  hangs: number;
  /** The first few cases of the last three kinds, described. */
  problems: string[];
}

export function emptyCounts(): FuzzCounts {
  return {
    cases: 0,
    acceptedIdentical: 0,
    acceptedUnverified: 0,
    refusedTyped: 0,
    acceptedDifferent: 0,
    untyped: 0,
    hangs: 0,
    problems: [],
  };
}

/** The observations a behaviour is taken on: `n` rows of the model's D entries, within its observation bounds. */
export function probeRows(policy: Policy, n = 4, seed = 7): number[][] {
  const rng = new Rng(seed);
  const { low, high } = policy.info.metadata.observation_space;
  return Array.from({ length: n }, () =>
    Array.from({ length: policy.info.observationSize }, (_, i) => Math.min(high[i]!, Math.max(low[i]!, rng.normal() * 0.5))),
  );
}

/**
 * What the policy does on `rows`: every declared output in mode 'greedy', and in mode 'sample' with
 * fixed noise when the model takes its noise as inputs, as one string (equal strings: equal behaviour).
 */
export async function behaviour(policy: Policy, rows: number[][]): Promise<string> {
  const parts: unknown[] = [await policy.outputs(rows), await policy.act(rows)];
  if (policy.info.sampling?.noise === 'inputs') {
    const n = rows.length;
    const u = rows.map((_, i) => (i + 0.5) / n);
    const eps = policy.info.isActor ? Array.from({ length: n * policy.info.numActions }, (_, i) => Math.sin(i + 1)) : undefined;
    parts.push(await policy.outputs(rows, { mode: 'sample', noise: eps ? { u, eps } : { u } }));
  }
  return JSON.stringify(parts, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v));
}

/** Seeded damaged variants of `bytes`: `truncations` lengths (all of them when 'all'), `flips` single-byte changes, `randoms` random buffers. */
export function fuzzCases(
  bytes: Uint8Array,
  opts: { seed: number; truncations: number | 'all'; flips: number; randoms: number },
): FuzzCase[] {
  // copies, never views: a Node Buffer's slice() shares memory, and a flip must not reach the original
  const copy = (end = bytes.length): Uint8Array => new Uint8Array(bytes.subarray(0, end));
  const rng = new Rng(opts.seed);
  const int = (n: number): number => Math.min(n - 1, Math.floor(rng.uniform() * n));
  const cases: FuzzCase[] = [];
  const lengths =
    opts.truncations === 'all'
      ? Array.from({ length: bytes.length }, (_, i) => i)
      : Array.from({ length: opts.truncations }, () => int(bytes.length));
  for (const len of lengths) cases.push({ kind: 'truncation', what: `truncated to ${len} of ${bytes.length} bytes`, bytes: copy(len) });
  for (let c = 0; c < opts.flips; c++) {
    const at = int(bytes.length);
    const b = copy();
    b[at] = (b[at]! + 1 + int(255)) & 0xff; // any other value
    cases.push({ kind: 'flip', what: `byte ${at} 0x${bytes[at]!.toString(16)} → 0x${b[at]!.toString(16)}`, at, bytes: b });
  }
  for (let c = 0; c < opts.randoms; c++) {
    const b = new Uint8Array(int(2 * bytes.length + 1));
    for (let i = 0; i < b.length; i++) b[i] = int(256);
    cases.push({ kind: 'random', what: `${b.length} random bytes`, bytes: b });
  }
  return cases;
}

/** Loads one case and classifies it against the original's behaviour `want` on `rows`. */
export async function classify(
  load: Loader,
  c: FuzzCase,
  rows: number[][],
  want: string,
  counts: FuzzCounts,
  timeoutMs = 20_000,
): Promise<void> {
  counts.cases++;
  const problem = (what: string): void => {
    if (counts.problems.length < 10) counts.problems.push(`${c.kind} ${c.what}: ${what}`);
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<'hang'>((resolve) => {
    timer = setTimeout(() => resolve('hang'), timeoutMs);
  });
  let policy: Policy | 'hang';
  try {
    policy = await Promise.race([load(c.bytes), hang]);
  } catch (err) {
    if (err instanceof ModelFormatError || err instanceof FileReadError) counts.refusedTyped++;
    else {
      counts.untyped++;
      problem(`untyped ${(err as Error)?.name}: ${(err as Error)?.message}`);
    }
    return;
  } finally {
    clearTimeout(timer);
  }
  if (policy === 'hang') {
    counts.hangs++;
    problem(`no answer within ${timeoutMs} ms`);
    return;
  }
  try {
    const got = await behaviour(policy, rows);
    if (got === want) {
      counts.acceptedIdentical++;
      if (policy.info.integrity === 'unverified') counts.acceptedUnverified++;
    } else {
      counts.acceptedDifferent++;
      problem('loaded with different outputs');
    }
  } catch (err) {
    counts.acceptedDifferent++;
    problem(`loaded, then failed on the original's observations: ${(err as Error).message}`);
  } finally {
    await policy.dispose();
  }
}
