/**
 * A fixed-capacity experience replay buffer (ring buffer, oldest overwritten first) shared by the
 * online algorithms (S-GMM-QF, DQN, and the actor-critics).
 *
 * Transitions (s, a, r, s', terminated) are stored in preallocated float64 arrays (environment
 * observations are float32 values, so float64 holds them exactly). Actions are `actionSize` numbers
 * (1 for a discrete index). `terminated` is the true end of the MDP (no bootstrap); a time-limit
 * truncation is not stored as terminal: the caller passes the real final observation as s'.
 *
 * Two ways to read it:
 * - minibatches (S-GMM-QF, DQN, the actor-critics): sampling is uniform with replacement from a
 *   caller-owned `Rng`, so runs are reproducible. `sampleIndices(T, rng, { includeNewest: true })`
 *   always puts the newest transition first (S-GMM-QF, [S-GMM-QF]: "the latest tuple always included");
 * - the whole batch (GMM-QF batch policy iteration): the buffer keeps the last `capacity`
 *   transitions, the oldest dropped first, and `stored()` hands all of them to the learner at once.
 */
import { ShapeError, ValueError, describeValue } from '../contract/errors.js';
import type { Rng } from './util/rng.js';

export interface TransitionBatch {
  /** Number of transitions T. */
  readonly size: number;
  /** [T, obsSize] */
  readonly obs: Float64Array;
  /** [T, actionSize] */
  readonly actions: Float64Array;
  /** [T] */
  readonly rewards: Float64Array;
  /** [T, obsSize] */
  readonly nextObs: Float64Array;
  /** [T], 1 where the episode terminated (no bootstrap), else 0. */
  readonly terminated: Float64Array;
}

/**
 * A buffer's exact contents and position (what a training snapshot keeps, see
 * sdk/algorithms/training-state.ts): the first `size` slots of each array (slots past it were never
 * written), the next slot to overwrite and the push count.
 */
export interface ReplayBufferState {
  capacity: number;
  obsSize: number;
  actionSize: number;
  size: number;
  next: number;
  pushes: number;
  obs: Float64Array;
  actions: Float64Array;
  rewards: Float64Array;
  nextObs: Float64Array;
  terminated: Float64Array;
}

export class ReplayBuffer {
  readonly capacity: number;
  readonly obsSize: number;
  readonly actionSize: number;
  private readonly obsBuf: Float64Array;
  private readonly actBuf: Float64Array;
  private readonly rewBuf: Float64Array;
  private readonly nextBuf: Float64Array;
  private readonly doneBuf: Float64Array;
  private count = 0;
  private next = 0;
  private pushes = 0;

  constructor(capacity: number, obsSize: number, actionSize = 1) {
    for (const [name, v] of [
      ['capacity', capacity],
      ['obsSize', obsSize],
      ['actionSize', actionSize],
    ] as const) {
      if (!Number.isSafeInteger(v) || v < 1) {
        throw new ValueError(`ReplayBuffer: ${name} = ${describeValue(v)}; it must be a positive integer.`);
      }
    }
    if (capacity * Math.max(obsSize, actionSize) > 2 ** 28) {
      throw new ValueError(
        `ReplayBuffer: capacity ${capacity} × observation size ${obsSize} is too large (over 2^28 numbers); use a smaller capacity.`,
      );
    }
    this.capacity = capacity;
    this.obsSize = obsSize;
    this.actionSize = actionSize;
    this.obsBuf = new Float64Array(capacity * obsSize);
    this.nextBuf = new Float64Array(capacity * obsSize);
    this.actBuf = new Float64Array(capacity * actionSize);
    this.rewBuf = new Float64Array(capacity);
    this.doneBuf = new Float64Array(capacity);
  }

  /** Number of stored transitions (≤ capacity). */
  get size(): number {
    return this.count;
  }

  /** Total transitions ever pushed. */
  get totalPushed(): number {
    return this.pushes;
  }

  /** Slot of the newest transition (−1 when empty). */
  get newestIndex(): number {
    return this.count === 0 ? -1 : (this.next - 1 + this.capacity) % this.capacity;
  }

  /** Stores one transition; validates sizes and finiteness (nothing non-finite enters the buffer). */
  push(obs: ArrayLike<number>, action: number | ArrayLike<number>, reward: number, nextObs: ArrayLike<number>, terminated: boolean): void {
    const D = this.obsSize;
    if (obs.length !== D) throw new ShapeError(`ReplayBuffer.push: obs has length ${obs.length}, expected ${D}.`);
    if (nextObs.length !== D) throw new ShapeError(`ReplayBuffer.push: nextObs has length ${nextObs.length}, expected ${D}.`);
    const acts = typeof action === 'number' ? [action] : action;
    if (acts.length !== this.actionSize)
      throw new ShapeError(`ReplayBuffer.push: action has length ${acts.length}, expected ${this.actionSize}.`);
    if (!Number.isFinite(reward))
      throw new ValueError(`ReplayBuffer.push: reward is ${describeValue(reward)}; rewards must be finite (check the environment).`);
    // validate everything before writing: when the buffer is full, slot i holds the oldest stored
    // transition, which a half-written rejected push would otherwise corrupt
    for (let j = 0; j < D; j++) {
      if (!Number.isFinite(obs[j]))
        throw new ValueError(
          `ReplayBuffer.push: obs[${j}] is ${describeValue(obs[j])}; observations must be finite (check the environment).`,
        );
      if (!Number.isFinite(nextObs[j]))
        throw new ValueError(
          `ReplayBuffer.push: nextObs[${j}] is ${describeValue(nextObs[j])}; observations must be finite (check the environment).`,
        );
    }
    for (let j = 0; j < this.actionSize; j++) {
      if (!Number.isFinite(acts[j]))
        throw new ValueError(`ReplayBuffer.push: action[${j}] is ${describeValue(acts[j])}; actions must be finite.`);
    }
    const i = this.next;
    for (let j = 0; j < D; j++) {
      this.obsBuf[i * D + j] = obs[j]!;
      this.nextBuf[i * D + j] = nextObs[j]!;
    }
    for (let j = 0; j < this.actionSize; j++) this.actBuf[i * this.actionSize + j] = acts[j]!;
    this.rewBuf[i] = reward;
    this.doneBuf[i] = terminated ? 1 : 0;
    this.next = (i + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
    this.pushes++;
  }

  /**
   * T slot indices drawn uniformly with replacement; with `includeNewest`, index 0 is the newest
   * transition and T − 1 are drawn.
   */
  sampleIndices(T: number, rng: Rng, opts: { includeNewest?: boolean } = {}, out = new Int32Array(T)): Int32Array {
    if (this.count === 0) throw new ValueError('ReplayBuffer.sample: the buffer is empty; push transitions first.');
    if (!Number.isSafeInteger(T) || T < 1)
      throw new ValueError(`ReplayBuffer.sample: batch size ${describeValue(T)} must be a positive integer.`);
    if (out.length !== T) throw new ShapeError(`ReplayBuffer.sample: out has length ${out.length}, expected ${T}.`);
    let start = 0;
    if (opts.includeNewest) {
      out[0] = this.newestIndex;
      start = 1;
    }
    for (let t = start; t < T; t++) out[t] = rng.integer(this.count);
    return out;
  }

  /** Copies the transitions at `indices` into a batch (reusing `into` when its size matches). */
  gather(indices: Int32Array, into?: TransitionBatch): TransitionBatch {
    const T = indices.length;
    const D = this.obsSize;
    const S = this.actionSize;
    const b =
      into && into.size === T
        ? into
        : {
            size: T,
            obs: new Float64Array(T * D),
            actions: new Float64Array(T * S),
            rewards: new Float64Array(T),
            nextObs: new Float64Array(T * D),
            terminated: new Float64Array(T),
          };
    for (let t = 0; t < T; t++) {
      const i = indices[t]!;
      if (!(i >= 0 && i < this.count))
        throw new ValueError(`ReplayBuffer.gather: index ${i} is outside the ${this.count} stored transitions.`);
      b.obs.set(this.obsBuf.subarray(i * D, i * D + D), t * D);
      b.nextObs.set(this.nextBuf.subarray(i * D, i * D + D), t * D);
      b.actions.set(this.actBuf.subarray(i * S, i * S + S), t * S);
      b.rewards[t] = this.rewBuf[i]!;
      b.terminated[t] = this.doneBuf[i]!;
    }
    return b;
  }

  /**
   * Every stored transition at once, as views of the buffer's own arrays (no copy; valid until the
   * next push), in slot order: slot i holds the i-th pushed transition until the buffer is full,
   * then each push overwrites the oldest slot, so after wrapping the slot order is no longer
   * chronological. For batch learners that use every transition (the order only fixes the order
   * of their sums).
   */
  stored(): TransitionBatch {
    const n = this.count;
    return {
      size: n,
      obs: this.obsBuf.subarray(0, n * this.obsSize),
      actions: this.actBuf.subarray(0, n * this.actionSize),
      rewards: this.rewBuf.subarray(0, n),
      nextObs: this.nextBuf.subarray(0, n * this.obsSize),
      terminated: this.doneBuf.subarray(0, n),
    };
  }

  /** A copy of the contents and position (only the stored slots: size × (2·obsSize + actionSize + 2) numbers). */
  saveState(): ReplayBufferState {
    const n = this.count;
    return {
      capacity: this.capacity,
      obsSize: this.obsSize,
      actionSize: this.actionSize,
      size: n,
      next: this.next,
      pushes: this.pushes,
      obs: this.obsBuf.slice(0, n * this.obsSize),
      actions: this.actBuf.slice(0, n * this.actionSize),
      rewards: this.rewBuf.slice(0, n),
      nextObs: this.nextBuf.slice(0, n * this.obsSize),
      terminated: this.doneBuf.slice(0, n),
    };
  }

  /** Continues from `saveState()` of a buffer of the same capacity and sizes; throws ShapeError/ValueError naming the field. */
  restoreState(st: ReplayBufferState): void {
    const where = 'ReplayBuffer.restoreState';
    for (const key of ['capacity', 'obsSize', 'actionSize'] as const) {
      if (st[key] !== this[key])
        throw new ShapeError(
          `${where}: the state has ${key} ${describeValue(st[key])}, this buffer ${this[key]}; restore into a buffer built alike.`,
        );
    }
    const n = st.size;
    if (!Number.isSafeInteger(n) || n < 0 || n > this.capacity)
      throw new ValueError(`${where}: size ${describeValue(n)} must be an integer in [0, ${this.capacity}].`);
    if (!Number.isSafeInteger(st.pushes) || st.pushes < n)
      throw new ValueError(`${where}: pushes ${describeValue(st.pushes)} must be an integer ≥ size ${n}.`);
    const expectNext = n < this.capacity ? n : st.pushes % this.capacity;
    if (st.next !== expectNext)
      throw new ValueError(`${where}: next ${describeValue(st.next)} must be ${expectNext} for size ${n} and pushes ${st.pushes}.`);
    const lengths = { obs: n * this.obsSize, actions: n * this.actionSize, rewards: n, nextObs: n * this.obsSize, terminated: n } as const;
    for (const [key, len] of Object.entries(lengths) as [keyof typeof lengths, number][]) {
      const a = st[key];
      if (!(a instanceof Float64Array) || a.length !== len)
        throw new ShapeError(`${where}: ${key} must be a Float64Array of ${len} numbers; got ${describeValue(a)}.`);
      for (let i = 0; i < len; i++)
        if (!Number.isFinite(a[i])) throw new ValueError(`${where}: ${key}[${i}] is ${describeValue(a[i])}; stored values are finite.`);
    }
    this.obsBuf.fill(0).set(st.obs);
    this.actBuf.fill(0).set(st.actions);
    this.rewBuf.fill(0).set(st.rewards);
    this.nextBuf.fill(0).set(st.nextObs);
    this.doneBuf.fill(0).set(st.terminated);
    this.count = n;
    this.next = st.next;
    this.pushes = st.pushes;
  }

  /** sampleIndices + gather. */
  sample(T: number, rng: Rng, opts: { includeNewest?: boolean } = {}): TransitionBatch {
    return this.gather(this.sampleIndices(T, rng, opts));
  }
}
