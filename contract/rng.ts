/**
 * (Lives in the runtime so that policies can draw their sampling noise without the SDK; the SDK
 * re-exports it from sdk/util/rng.ts.)
 *
 * Seeded pseudo-random numbers: xoshiro128** seeded through splitmix32.
 *
 * Deterministic across platforms (only 32-bit integer arithmetic), fast, and good enough for
 * exploration noise and environment resets. The same seed always gives the same stream.
 * `uniform()` returns doubles in [0, 1) with 53 random bits.
 */
import { ValueError } from './errors.js';

/** The exact position of an Rng's stream: its four xoshiro128** words and the cached second normal. */
export interface RngState {
  s: [number, number, number, number];
  spareNormal: number | null;
}

export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new ValueError(`seed must be an integer in [0, 4294967295]; got ${seed}. Pass e.g. seed: 0.`);
    }
    let x = seed >>> 0;
    const next = (): number => {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    this.s3 >>>= 0;
    return result;
  }

  /** Uniform double in [0, 1), 53 random bits. */
  uniform(): number {
    const a = this.nextUint32() >>> 5; // 27 bits
    const b = this.nextUint32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Uniform double in [low, high). */
  uniformRange(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Uniform integer in [0, n). Unbiased (rejection sampling). */
  integer(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 0x100000000) {
      throw new ValueError(`Rng.integer(n): n must be an integer in [1, 2^32]; got ${n}.`);
    }
    if (n === 1) return 0;
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const r = this.nextUint32();
      if (r < limit) return r % n;
    }
  }

  /** Standard normal (Marsaglia polar method). */
  normal(): number {
    if (this.spareNormal !== null) {
      const s = this.spareNormal;
      this.spareNormal = null;
      return s;
    }
    for (;;) {
      const u = 2 * this.uniform() - 1;
      const v = 2 * this.uniform() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const m = Math.sqrt((-2 * Math.log(s)) / s);
        this.spareNormal = v * m;
        return u * m;
      }
    }
  }

  /** The stream's exact position (a copy): restoring it with `setState` continues the same numbers. */
  getState(): RngState {
    return { s: [this.s0, this.s1, this.s2, this.s3], spareNormal: this.spareNormal };
  }

  /** Continues from a position `getState` returned. Throws ValueError for anything else, naming the entry. */
  setState(state: RngState): void {
    const s = (state as Partial<RngState> | null)?.s;
    if (!Array.isArray(s) || s.length !== 4 || !s.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)) {
      throw new ValueError(`Rng.setState: s must be 4 integers in [0, 4294967295] (Rng.getState().s); got ${JSON.stringify(s)}.`);
    }
    if ((s[0] | s[1] | s[2] | s[3]) === 0) throw new ValueError('Rng.setState: s is all zeros, which xoshiro128** never reaches.');
    const spare = state.spareNormal;
    if (spare !== null && !(typeof spare === 'number' && Number.isFinite(spare))) {
      throw new ValueError(`Rng.setState: spareNormal must be a finite number or null; got ${String(spare)}.`);
    }
    [this.s0, this.s1, this.s2, this.s3] = s;
    this.spareNormal = spare;
  }

  /** A generator at the position `state` (see getState). */
  static fromState(state: RngState): Rng {
    const r = new Rng(0);
    r.setState(state);
    return r;
  }

  /** A fresh 32-bit seed drawn from this stream (for child generators). */
  nextSeed(): number {
    return this.nextUint32();
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
