/**
 * Observation packing: what a Policy call accepts as observations (one flat array or typed array of
 * D numbers, a flat N·D batch, or an array of rows), how it is validated (ShapeError for a wrong
 * length, ValueError for anything not a finite number, outside float32 for a float32 model, or
 * outside the range the graph computes: |obs[i]| ≤ limit[i] from graph-checks.ts, and for the
 * acrobot-angles feature map no (cos, sin) pair of magnitude below ANGLE_PAIR_MIN), and how it is
 * copied into the model's float type. The messages name the entry (obs[r][i]) and the fix.
 */
import { ShapeError, ValueError, describeValue } from '../contract/errors.js';
import { ANGLE_PAIR_MIN, type ObservationDomain } from './graph-checks.js';
import type { FloatArray } from './types.js';

/** The fix every observation-type message ends with. */
const FIX = 'Pass numbers: an array or typed array of D values, or an array of such rows (e.g. Float32Array.from(obs, Number)).';

/** Packed observations: `n` rows of D entries in `data`. */
export interface Packed {
  data: FloatArray;
  n: number;
  /** True when the input was one flat observation of length D (and not a forced batch). */
  single: boolean;
}

/** How an observation argument is read: by its form (act, q, outputs), exactly one, or always a batch. */
export type Arity = 'auto' | 'one' | 'batch';

/** "a string (\"0.1\")", "an Object", "null", "a Float64Array" … for messages. */
export function what(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  const article = (w: string): string => (/^[aeiou]/i.test(w) ? `an ${w}` : `a ${w}`);
  if (typeof x === 'object') {
    if (Array.isArray(x)) return 'an Array';
    return article((x as object).constructor?.name ?? 'Object');
  }
  if (typeof x === 'function') return 'a function';
  return `${article(typeof x)} (${describeValue(x)})`;
}

/** True for an array or a typed array (an observation row), false for a DataView or anything else. */
function isRow(x: unknown): boolean {
  return Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView));
}

/**
 * ValueError unless `x` is an array or a (non-bigint) typed array; `name` names it, `what` says
 * what it holds (in messages), `fix` what to pass.
 */
export function checkContainer(x: unknown, name: string, fix: string, holds = 'observations'): void {
  if (x === null || x === undefined || typeof x !== 'object') {
    const extra = typeof x === 'string' ? ' (parse it first, e.g. obs.split(",").map(Number))' : '';
    throw new ValueError(`${name} is ${what(x)}, not an array of numbers${extra}. ${fix}`);
  }
  if (x instanceof BigInt64Array || x instanceof BigUint64Array) {
    throw new ValueError(`${name} is ${what(x)}; ${holds} must be numbers, not bigint. Convert with Float32Array.from(${name}, Number).`);
  }
  if (x instanceof DataView || x instanceof ArrayBuffer) {
    throw new ValueError(`${name} is ${what(x)}; wrap the bytes in a typed array (e.g. new Float32Array(buffer)). ${fix}`);
  }
  if (!isRow(x) && typeof (x as { length?: unknown }).length !== 'number') {
    throw new ValueError(`${name} is ${what(x)} without a length, not an array of numbers. ${fix}`);
  }
}

/** Validates observations and packs them into the model's float type (Float32Array or Float64Array). */
export class ObsPacker {
  /** |obs[i]| ≤ limit[i] (ObservationDomain.limit; the precision's range when no domain is given). */
  private readonly limit: Float64Array;
  private readonly anglePairs: readonly (readonly [number, number])[];

  constructor(
    readonly D: number,
    readonly shapeText: string,
    readonly f64: boolean,
    domain?: ObservationDomain,
  ) {
    this.limit = domain ? Float64Array.from(domain.limit) : new Float64Array(D).fill(f64 ? Number.MAX_VALUE : 3.4028234663852886e38);
    this.anglePairs = domain?.anglePairs ?? [];
  }

  alloc(len: number): FloatArray {
    return this.f64 ? new Float64Array(len) : new Float32Array(len);
  }

  lengthError(len: number, arity: Arity): never {
    const D = this.D;
    if (arity === 'one') {
      throw new ShapeError(`obs has length ${len}, expected ${D} (observation_space.shape = ${this.shapeText}) for a single observation.`);
    }
    throw new ShapeError(
      `obs has length ${len}, expected ${D} (observation_space.shape = ${this.shapeText}) or a multiple of ${D} for a batch.`,
    );
  }

  /** Copies `src` (validated: numbers, finite, within float32 for a float32 model) into `dst` at `at`; `label(i)` names entry i. */
  copy(src: ArrayLike<number>, dst: FloatArray, at: number, label: (i: number) => string): void {
    const len = src.length;
    const D = this.D;
    const lim = this.limit;
    if (src instanceof Float32Array || (this.f64 && src instanceof Float64Array)) {
      for (let r = 0; r < len; r += D) {
        for (let j = 0; j < D; j++) {
          const x = src[r + j]!;
          if (x - x !== 0) this.badNumber(x, label(r + j)); // NaN or ±Infinity
          if (x > lim[j]! || x < -lim[j]!) this.outOfRange(x, j, label(r + j));
        }
      }
      dst.set(src, at);
      if (this.anglePairs.length > 0) this.checkPairs(dst, at, len, label);
      return;
    }
    const typed = ArrayBuffer.isView(src);
    const f64 = this.f64;
    for (let i = 0; i < len; i++) {
      const x = src[i] as unknown;
      if (!typed && typeof x !== 'number') {
        const hint = typeof x === 'string' ? ` Convert with Number(x) or parseFloat(x) first.` : '';
        throw new ValueError(`${label(i)} is ${what(x)}, not a number.${hint} ${FIX}`);
      }
      const v = x as number;
      if (v - v !== 0) this.badNumber(v, label(i));
      const f = f64 ? v : Math.fround(v);
      if (f - f !== 0) {
        throw new ValueError(`${label(i)} = ${v} is outside the float32 range (|x| ≤ 3.4028235e38) the model computes in.`);
      }
      const j = i % D;
      if (f > lim[j]! || f < -lim[j]!) this.outOfRange(v, j, label(i));
      dst[at + i] = f;
    }
    if (this.anglePairs.length > 0) this.checkPairs(dst, at, len, label);
  }

  /** ValueError: entry `j` (labelled `label`) = x is beyond the limit the graph computes. */
  outOfRange(x: number, j: number, label: string): never {
    throw new ValueError(
      `${label} = ${describeValue(x)} is outside the range this model computes: |obs[${j}]| ≤ ${this.limit[j]} (policy.info.observationLimit[${j}]); ` +
        `beyond it the graph's ${this.f64 ? 'float64' : 'float32'} arithmetic overflows. Check the environment or sensor that produced it, or clip the observation.`,
    );
  }

  /** acrobot-angles: every (cos, sin) pair of each row in dst[at, at + len) has magnitude max(|cos|, |sin|) ≥ ANGLE_PAIR_MIN. */
  private checkPairs(dst: FloatArray, at: number, len: number, label: (i: number) => string): void {
    for (let r = 0; r < len; r += this.D) {
      for (const [c, s] of this.anglePairs) {
        const x = dst[at + r + c]!;
        const y = dst[at + r + s]!;
        if (Math.max(Math.abs(x), Math.abs(y)) < ANGLE_PAIR_MIN) {
          throw new ValueError(
            `${label(r + c)} = ${describeValue(x)} and ${label(r + s)} = ${describeValue(y)} are a (cos, sin) pair of magnitude below 2^-100; ` +
              `the model's acrobot-angles feature map takes the angle atan2(sin, cos), which is undefined at (0, 0). Pass the environment's observation (cos² + sin² = 1).`,
          );
        }
      }
    }
  }

  badNumber(x: number, label: string): never {
    throw new ValueError(
      `${label} is ${describeValue(x)}; observations must be finite numbers. Check the environment or sensor that produced it.`,
    );
  }

  /** Validates and packs `obs`. `scratch` (length D) is used for a single observation when given. */
  pack(obs: unknown, arity: Arity, scratch: FloatArray | null): Packed {
    const D = this.D;
    checkContainer(obs, 'obs', FIX);
    const arr = obs as ArrayLike<unknown>;
    const len = arr.length;
    if (Array.isArray(arr) && len > 0 && isRow(arr[0])) {
      // array of rows
      if (arity === 'one') {
        throw new ShapeError(
          `obs is an array of ${len} rows; actOne/qOne take a single observation of length ${D} (so does envAction). Use act/actBatch for batches.`,
        );
      }
      const data = this.alloc(len * D);
      for (let r = 0; r < len; r++) {
        const row = arr[r];
        if (!isRow(row)) {
          throw new ValueError(`obs[${r}] is ${what(row)} but obs[0] is a row; pass either one flat observation or an array of rows.`);
        }
        checkContainer(row, `obs[${r}]`, FIX);
        const rr = row as ArrayLike<number>;
        if (rr.length !== D) {
          throw new ShapeError(`obs[${r}] has length ${rr.length}, expected ${D} (observation_space.shape = ${this.shapeText}).`);
        }
        this.copy(rr, data, r * D, (i) => `obs[${r}][${i}]`);
      }
      return { data, n: len, single: false };
    }
    if (len === D && arity !== 'batch' && scratch) {
      this.copy(arr as ArrayLike<number>, scratch, 0, (i) => `obs[${i}]`);
      return { data: scratch, n: 1, single: true };
    }
    if (len === 0 || len % D !== 0 || (arity === 'one' && len !== D)) this.lengthError(len, arity);
    const n = len / D;
    const data = this.alloc(len);
    this.copy(
      arr as ArrayLike<number>,
      data,
      0,
      n === 1 ? (i) => `obs[${i}]` : (i) => `obs[${i}] (row ${Math.floor(i / D)}, entry ${i % D})`,
    );
    return { data, n, single: n === 1 && arity !== 'batch' };
  }
}
