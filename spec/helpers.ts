/**
 * Shared test helpers. One tolerance helper for the whole suite, so a tolerance can never be
 * passed to the wrong function and silently fall back to a loose default.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tolerance {
  /** Absolute tolerance (default 0). */
  atol?: number;
  /** Relative tolerance (default 0). At least one of atol / rtol must be > 0 unless exact equality is wanted. */
  rtol?: number;
  /** Treat NaN == NaN as equal (default false: any NaN fails). */
  equalNaN?: boolean;
}

/**
 * Asserts |actual - expected| <= atol + rtol * |expected| elementwise (numpy.allclose semantics).
 * Fails on length mismatch, on NaN (unless equalNaN), and on infinities that differ.
 */
export function expectClose(
  actual: ArrayLike<number> | number,
  expected: ArrayLike<number> | number,
  tol: Tolerance,
  what = 'value',
): void {
  const a = typeof actual === 'number' ? [actual] : Array.from(actual);
  const e = typeof expected === 'number' ? [expected] : Array.from(expected);
  const atol = tol.atol ?? 0;
  const rtol = tol.rtol ?? 0;
  if (!(atol >= 0) || !(rtol >= 0)) throw new Error(`expectClose: atol/rtol must be >= 0, got ${atol}/${rtol}`);
  expect(a.length, `${what}: length`).to.equal(e.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = e[i]!;
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (tol.equalNaN && Number.isNaN(x) && Number.isNaN(y)) continue;
      throw new Error(`${what}[${i}]: got ${x}, expected ${y} (NaN)`);
    }
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      if (x === y) continue;
      throw new Error(`${what}[${i}]: got ${x}, expected ${y}`);
    }
    const excess = Math.abs(x - y) - (atol + rtol * Math.abs(y));
    if (excess > worstExcess) {
      worstExcess = excess;
      worst = i;
    }
  }
  if (worst >= 0) {
    const x = a[worst]!;
    const y = e[worst]!;
    throw new Error(`${what}[${worst}]: got ${x}, expected ${y}; |diff| = ${Math.abs(x - y)} > atol ${atol} + rtol ${rtol} * |expected|`);
  }
}

/** Asserts that `fn` throws an error of class `cls` whose message matches every pattern. */
export function expectThrows(fn: () => unknown, cls: new (...args: never[]) => Error, ...patterns: RegExp[]): Error {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected an error to be thrown').to.be.instanceOf(cls);
  const msg = (caught as Error).message;
  for (const p of patterns) expect(msg).to.match(p);
  return caught as Error;
}

/** Async form of expectThrows. */
export async function expectRejects(
  fn: () => Promise<unknown>,
  cls: new (...args: never[]) => Error,
  ...patterns: RegExp[]
): Promise<Error> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a rejection').to.be.instanceOf(cls);
  const msg = (caught as Error).message;
  for (const p of patterns) expect(msg).to.match(p);
  return caught as Error;
}

/** What captureCli returns: the exit code and the stdout and stderr lines, each joined by newlines. */
export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs a CLI entry (`main(argv, out, err)`, e.g. sdk/cli.ts main) in-process, capturing its stdout and stderr lines. */
export async function captureCli(
  main: (argv: string[], out: (line: string) => void, err: (line: string) => void) => Promise<number>,
  argv: string[],
): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/**
 * A temporary folder for the enclosing `describe`: made in its `before` hook, removed with
 * everything in it in its `after` hook. Call it in the describe body; call the returned function
 * inside tests for the path.
 */
export function suiteTempDir(prefix: string): () => string {
  let path: string | null = null;
  before(() => {
    path = mkdtempSync(join(tmpdir(), prefix));
  });
  after(() => {
    if (path !== null) rmSync(path, { recursive: true, force: true });
  });
  return () => {
    if (path === null) throw new Error(`suiteTempDir(${JSON.stringify(prefix)}): read before the describe's before hook ran`);
    return path;
  };
}
