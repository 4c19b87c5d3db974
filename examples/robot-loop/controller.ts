/**
 * Robot-loop controller: loads an exported gmmrl policy and serves actions to a robot over a local
 * socket at a fixed rate, measuring its own latency and deadline misses; SIGINT stops it cleanly.
 *
 *   node dist/examples/robot-loop/controller.js --model policy.onnx [--socket /tmp/gmmrl-robot.sock | --tcp 127.0.0.1:7777]
 *        [--rate 1000] [--duration 60] [--actions N] [--wait hybrid|sleep|immediate|spin|timer] [--mode greedy|sample]
 *        [--runtime node|web] [--threads 1] [--warmup 2000] [--summary out.json] [--quiet]
 *
 * The controller owns the clock (as a ros2_control controller manager does): tick k is due at the
 * absolute time t_k = t₀ + k·T, T = 1/rate, so errors never accumulate (no drift). At each tick it
 * takes the newest observation the robot has streamed (protocol.ts: OBS frames), evaluates the
 * policy (`policy.envAction(obs, { mode })`), and writes one ACTION frame carrying the tick number
 * and the seq of the observation used. The robot applies actions as they come and streams its next
 * observation right after.
 *
 * Flow control: the robot acknowledges every ACTION it reads (an ACK frame, protocol.ts), and at
 * most one ACTION is unacknowledged at a time. A tick whose action finds the previous one still
 * unacknowledged (the robot stopped reading) is computed but not written, and counted in
 * droppedWrites; `actions` counts the ACTION frames written, `actionsAcknowledged` those the robot
 * confirmed. So a robot that resumes after a pause finds at most one old command in its socket.
 *
 * Faults of the robot's making are per-frame errors: an ERROR reply, the frame counted in
 * badFramesReceived, and the loop goes on with the previous observation. That covers malformed
 * frames and non-finite entries (checked on arrival), and observations the model cannot compute
 * (found when the policy is called): an input error from the runtime (ValueError, ShapeError), or a
 * ModelFormatError (the runtime's verdict on a non-finite output, which an extreme but finite input
 * such as 1e38 causes in float32) while the same policy gives a valid action for the previous
 * observation (or, before the first one, for the centre of the observation space). Only a
 * ModelFormatError that this probe confirms, or any other error, stops the loop as a policy error.
 *
 * Per tick, measured with performance.now() (a double, sub-microsecond resolution, no allocation):
 *   latency   = action written − t_k      (what a robot waiting on the command sees; reported p50/p99/p99.9/max)
 *   compute   = action written − tick start (the policy call plus encoding and the socket write)
 *   wake late = tick start − t_k          (scheduling jitter)
 * The action of tick k is late when it is written after t_k + T (the next tick). A tick whose whole
 * window [t_k, t_k + T) has passed before it could start is skipped (not served at all; the clock
 * jumps to the next tick that can still make its deadline, it never bursts to catch up).
 * Deadline misses = late + skipped. A tick that finds no observation newer than the previous
 * tick's counts as stale (the robot fell behind; the newest observation is used anyway).
 * `--rate 0` free-runs: one action per fresh observation, as fast as the round trip allows (the
 * memory check of the bench runs 10⁶ actions this way); latency is then observation received →
 * action written.
 *
 * Waiting for t_k (`--wait`, measured by bench/robot-loop.ts; the README has the numbers):
 *   hybrid (default)  event-loop turns (setImmediate: the socket is read between them) until an
 *                     observation newer than the last tick's has arrived, a busy spin to 60 µs before
 *                     t_k, one more event-loop turn (the newest observation wins if two were in
 *                     flight), a busy spin to t_k (setTimeout first when more than 2 ms remain).
 *                     One core at 100 %.
 *   sleep             the same, but sleeping in the kernel (Atomics.wait: no CPU, no allocation)
 *                     until --sleep-margin µs before t_k. Saves the core; on a virtual machine the
 *                     wake-up from an idle vCPU occasionally takes milliseconds (more misses).
 *   immediate         setImmediate polling until t_k
 *   spin              busy spin from the end of one tick to the next (starves socket reads: the
 *                     observation of the robot's last step is read only during the next policy call,
 *                     so every action answers an observation one step old)
 *   timer             setTimeout only (millisecond granularity)
 * Reading the clock allocates (performance.now() returns a fresh heap number), and so does every
 * setImmediate; polling for a whole period allocates ~100 MB/s and triggers a young-generation GC
 * every few milliseconds. The spins read the clock about once a microsecond, and hybrid polls the
 * event loop only until the observation is in, so a tick allocates a few tens of kilobytes.
 *
 * The hot path allocates nothing of its own: the observation, the encoded ACTION frame, the read
 * buffer (net `onread`) and the latency histograms are allocated once; callbacks are pre-bound.
 * What does allocate per step is below us: ONNX Runtime's output tensor, the promise of its async
 * run, and the runtime's action result (a few small short-lived objects, collected by the young-
 * generation GC; the summary reports GC pauses, and the RSS check shows no growth).
 *
 * Startup: connect (retrying until --connect-timeout), send HELLO, check the robot's HELLO
 * (observation and action sizes must match the model; an ERROR from the robot instead fails the
 * handshake at once), wait for the first observation, warm the policy up on it (--warmup calls,
 * results not sent), measure RSS, start the clock.
 *
 * Logs (stderr, `log`): repeated lines of one kind are throttled (log-throttle.ts), peer-supplied
 * text is cut and escaped (protocol.ts peerText), and a robot that sends nothing for --silence ms is
 * reported once, and again when it is back.
 * Exit codes (CLI): 0 after --duration / --actions / SIGINT / SIGTERM / the robot's BYE;
 * 1 on a policy error, a protocol error, or a lost connection; 2 on bad flags or a failed handshake.
 */
import { connect, type Socket } from 'node:net';
import { cpus } from 'node:os';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
import { GmmrlError, ModelFormatError, ShapeError, ValueError, describeValue, type ActOptions, type Policy } from 'gmmrl/runtime';
import { formatHelp, parseMainFlags, runAsScript, type FlagSpecs } from './flags.js';
import { LatencyHistogram, formatUs, type LatencySummaryUs } from './histogram.js';
import { LogThrottle } from './log-throttle.js';
import {
  DEFAULT_SOCKET,
  ERROR_CODE_NAMES,
  ErrorCode,
  FRAME_TYPE_NAMES,
  FrameDecoder,
  FrameType,
  MAX_FLOATS,
  OBS_FLAG_RESET,
  VERSION,
  encodeError,
  encodeFloatFrame,
  encodeJson,
  encodeScalarAction,
  floatFrameBytes,
  payloadText,
  peerText,
  type ControllerHello,
  type RobotHello,
} from './protocol.js';

export type WaitStrategy = 'hybrid' | 'sleep' | 'immediate' | 'spin' | 'timer';
export const WAIT_STRATEGIES: readonly WaitStrategy[] = ['hybrid', 'sleep', 'immediate', 'spin', 'timer'];

export type StopReason =
  | 'duration'
  | 'actions'
  | 'SIGINT'
  | 'SIGTERM'
  | 'stop'
  | 'robot-bye'
  | 'robot-disconnected'
  | 'protocol-error'
  | 'policy-error'
  | 'handshake-failed';

/** Stop reasons after which the CLI exits 0. */
export const CLEAN_STOPS: readonly StopReason[] = ['duration', 'actions', 'SIGINT', 'SIGTERM', 'stop', 'robot-bye'];

export interface ControllerOptions {
  /** A loaded policy (the caller keeps ownership), or a model path / bytes to load with `runtime`. */
  policy?: Policy;
  model?: string | Uint8Array;
  /** Unix domain socket path of the robot (default /tmp/gmmrl-robot.sock), unless `tcp` is given. */
  socket?: string;
  tcp?: { host: string; port: number };
  /** Control rate in Hz; 0 free-runs (one action per fresh observation). */
  rateHz: number;
  /** Stop after this many seconds of the timed phase (default: no limit). */
  durationS?: number;
  /** Stop after this many actions (default: no limit). */
  maxActions?: number;
  wait?: WaitStrategy;
  mode?: 'greedy' | 'sample';
  /** Which gmmrl/runtime entry loads `model`: onnxruntime-node (default) or onnxruntime-web (wasm). */
  runtime?: 'node' | 'web';
  /** onnxruntime-node intraOpNumThreads (default 1: one core for inference, the other for the robot). */
  threads?: number;
  /** Policy calls on the first observation before the clock starts (not sent; default 2000; at least 1, which checks the observation). */
  warmup?: number;
  connectTimeoutS?: number;
  /** Sample RSS every this many actions (default 10 000; 0: never). */
  rssEvery?: number;
  /** Call global.gc() (node --expose-gc) before the two RSS readings (default true when available). */
  gcForRss?: boolean;
  /**
   * Also before every RSS sample (default false): clean samples for a leak check, at the price of a
   * full-GC pause (milliseconds) in the loop every rssEvery actions.
   */
  gcEverySample?: boolean;
  /** sleep: wake from the kernel sleep this many µs before each tick (default DEFAULT_SLEEP_MARGIN_US). */
  sleepMarginUs?: number;
  /** Seconds to wait for the robot's HELLO after connecting (default 5). */
  helloTimeoutS?: number;
  /** Report a robot that sends no frame for this many ms (and when it is back); 0: never (default 250). */
  silenceMs?: number;
  /** Log throttling: lines of one kind written per interval (default 5) and the interval in ms (default 1000). */
  logBurst?: number;
  logIntervalMs?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export type { LatencySummaryUs } from './histogram.js';

export interface ControllerSummary {
  stopReason: StopReason;
  /** Set for the error stops: what went wrong. */
  error?: string;
  model: {
    family: string;
    envId: string;
    obsSize: number;
    actionSize: number;
    actionKind: string;
    components: number | null;
    bytes: number;
  };
  runtime: { backend: string; executionProvider: string; threads: number; mode: 'greedy' | 'sample' };
  rateHz: number;
  wait: WaitStrategy;
  warmupCalls: number;
  /** ACTION frames written in the timed phase. */
  actions: number;
  /** ACTION frames the robot acknowledged (ACK); actions − actionsAcknowledged ≤ 1 (the one in flight at the stop). */
  actionsAcknowledged: number;
  /** Wall time of the timed phase (first tick → stop). */
  elapsedS: number;
  /** actions / elapsedS. */
  achievedHz: number;
  latency: LatencySummaryUs;
  compute: LatencySummaryUs;
  wakeLate: LatencySummaryUs;
  /** late + skipped. */
  deadlineMisses: number;
  late: number;
  skipped: number;
  staleObservations: number;
  /** Ticks whose action was computed but not written: the previous ACTION was not yet acknowledged (the robot stopped reading). */
  droppedWrites: number;
  obsReceived: number;
  obsResets: number;
  /** Frames refused with an ERROR reply or a closed connection: malformed, unexpected, and observations the model could not compute. */
  badFramesReceived: number;
  /** Of badFramesReceived: observations refused when the policy was called (outside the range the model computes). */
  obsRejectedByModel: number;
  /** ERROR frames written to the robot. */
  errorsSent: number;
  /** ERROR replies not written: the socket was closed, or over ERROR_BACKLOG_BYTES were still unsent (a robot that does not read). */
  errorsNotSent: number;
  /** ERROR frames the robot sent, and the first 100 of them (code and text, cut to 200 characters). */
  robotErrorCount: number;
  robotErrors: string[];
  /** Times the robot went silent (no frame for silenceMs), and the longest silence in seconds. */
  silences: number;
  longestSilenceS: number;
  /** Progress lines left out by the log throttle. */
  logLinesSuppressed: number;
  memory: {
    rssBeforeBytes: number;
    rssAfterBytes: number;
    rssGrowthBytes: number;
    heapUsedBeforeBytes: number;
    /** process.memoryUsage() and V8's committed size per heap space (v8.getHeapSpaceStatistics), before and after. */
    detailBefore: Record<string, number>;
    detailAfter: Record<string, number>;
    heapUsedAfterBytes: number;
    gcBeforeReadings: boolean;
    /** [actions, rss bytes] every rssEvery actions (after a full GC with gcEverySample). */
    rssSamples: [number, number][];
  };
  gc: { count: number; totalMs: number; maxMs: number };
  cpu: { userS: number; systemS: number; utilization: number };
  host: { node: string; cpu: string; cores: number; platform: string };
}

const DEFAULT_HELLO_TIMEOUT_S = 5;
export const DEFAULT_SILENCE_MS = 250;
/** ERROR replies are not written while more than this many bytes wait in the socket (a robot that does not read must not grow our memory). */
export const ERROR_BACKLOG_BYTES = 65536;
const MAX_ROBOT_ERRORS = 100;
/** hybrid, sleep: hand the bulk of a long wait to setTimeout (millisecond granularity) while more than this remains. */
const TIMER_MARGIN_NS = 2_000_000;
/** sleep: sleep in the kernel until this long before the deadline (covers the wake-up delay; --sleep-margin). */
export const DEFAULT_SLEEP_MARGIN_US = 200;
/** hybrid, sleep: busy-spin (rather than poll the event loop) over the last stretch. */
const SPIN_WINDOW_NS = 30_000;
/** hybrid: the last event-loop turn (socket read) happens this long before the deadline. */
const LAST_LOOK_NS = 60_000;
/** Inner iterations between clock reads while spinning (~1 µs): each read allocates a heap number. */
const SPIN_INNER = 1024;
const MAX_RSS_SAMPLES = 4096;

const nowNs = (): number => performance.now() * 1e6;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));
let spinSink = 0;

/** Busy-waits until performance.now() reaches t (ns), reading the clock every SPIN_INNER iterations. */
function spinUntil(t: number): void {
  while (nowNs() < t) {
    for (let j = 0; j < SPIN_INNER; j++) spinSink = (spinSink + j) | 0;
  }
}

/** Sleeps the thread for `ns` nanoseconds in the kernel (Atomics.wait on a cell nobody notifies). */
function sleepNs(ns: number): void {
  if (ns > 0) Atomics.wait(sleepCell, 0, 0, ns / 1e6);
}

/** Keeps the spin loop's work observable (never called in the hot path). */
export function spinChecksum(): number {
  return spinSink;
}

function actionKindOf(policy: Policy): 'discrete' | 'grid' | 'box' {
  return policy.info.actionSpace.kind;
}

/** Loads the model with the chosen gmmrl/runtime entry (one inference thread by default). */
export async function loadControllerPolicy(model: string | Uint8Array, runtime: 'node' | 'web', threads: number): Promise<Policy> {
  if (runtime === 'web') {
    const { readFile } = await import('node:fs/promises');
    const bytes = typeof model === 'string' ? new Uint8Array(await readFile(model)) : model;
    const { loadPolicy } = await import('gmmrl/runtime/web');
    return loadPolicy(bytes, { executionProviders: ['wasm'] });
  }
  const { loadPolicy } = await import('gmmrl/runtime/node');
  return loadPolicy(model, { executionProviders: ['cpu'], sessionOptions: { intraOpNumThreads: threads, interOpNumThreads: 1 } });
}

/**
 * A running controller. `done` resolves with the summary once the loop has stopped, the BYE has been
 * sent and the connection closed (it never rejects for run-time failures: they are the summary's
 * stopReason and error; it rejects only when the policy cannot be loaded).
 */
export class Controller {
  readonly done: Promise<ControllerSummary>;
  private resolveDone!: (s: ControllerSummary) => void;

  private policy!: Policy;
  private ownsPolicy = false;
  private socket: Socket | null = null;
  private decoder: FrameDecoder;
  private readonly readBuf = Buffer.alloc(65536);

  // configuration
  private readonly rateHz: number;
  private readonly periodNs: number;
  private readonly wait: WaitStrategy;
  private readonly mode: 'greedy' | 'sample';
  private readonly actOpts: ActOptions;
  private readonly warmup: number;
  private readonly rssEvery: number;
  private readonly maxActions: number;
  private readonly durationNs: number;
  private readonly sleepMarginNs: number;

  // model-dependent buffers (set in start)
  private obsSize = 0;
  private actionSize = 0;
  private obs!: Float32Array;
  /** The observation the policy call in flight was given, and the last one that gave a valid action (swapped, not copied). */
  private usedObs!: Float32Array;
  private goodObs!: Float32Array;
  private goodSeq = -1;
  private haveGood = false;
  /** Where the policy is known to compute before any observation gave an action: the centre of the observation space. */
  private centreObs!: Float32Array;
  private actionFrame!: Buffer;
  private actionFrameBytes = 0;

  // observation state (written by the frame handler)
  private obsSeq = -1;
  private obsArrivalNs = 0;
  private obsSeqUsed = -1;
  private obsReceived = 0;
  private obsResets = 0;
  private robotHello: RobotHello | null = null;
  private helloWaiter: ((h: RobotHello | Error) => void) | null = null;
  private firstObsWaiter: (() => void) | null = null;

  // loop state
  private running = false;
  private stopping = false;
  private stopReason: StopReason | null = null;
  private stopError: string | undefined;
  private t0 = 0;
  private deadline = 0;
  private tickStartNs = 0;
  private tick = 0;
  private actions = 0;
  private late = 0;
  private skipped = 0;
  private stale = 0;
  private droppedWrites = 0;
  private badFrames = 0;
  private obsRejectedByModel = 0;
  private errorsSent = 0;
  private errorsNotSent = 0;
  private robotErrorCount = 0;
  private readonly robotErrors: string[] = [];
  // flow control: the ACTION written and not yet acknowledged
  private unacked = false;
  private unackedTick = 0;
  private acks = 0;
  // silence detection
  private readonly silenceNs: number;
  private lastFrameNs = 0;
  private silent = false;
  private silences = 0;
  private longestSilenceNs = 0;
  private silenceTimer: ReturnType<typeof setInterval> | null = null;
  private readonly logs: LogThrottle;
  /** The tick in flight is a retry with the previous observation, after the model refused this tick's. */
  private retryingTick = false;
  private endNs = 0;
  private cpuStart: NodeJS.CpuUsage | null = null;
  private cpuEnd: NodeJS.CpuUsage | null = null;
  private inFlight = false;
  private finished = false;
  /** sleep: the event-loop turn after the sleep has happened for the coming tick. */
  private ioTurnDone = false;
  /** hybrid: the last event-loop turn before the coming tick has happened. */
  private lastLookDone = false;

  readonly latency = new LatencyHistogram();
  readonly compute = new LatencyHistogram();
  readonly wakeLate = new LatencyHistogram();
  private readonly rssSamples = new Float64Array(2 * MAX_RSS_SAMPLES);
  private rssCount = 0;
  private rssBefore = 0;
  private heapBefore = 0;
  private gcBeforeReadings = false;
  private gcCount = 0;
  private gcTotalMs = 0;
  private gcMaxMs = 0;
  private gcObserver: PerformanceObserver | null = null;

  // pre-bound callbacks: no closure is created per tick
  private readonly pollCb = (): void => this.poll();
  private readonly onActionCb = (a: number | Float32Array | Float64Array): void => this.onAction(a);
  private readonly onPolicyErrorCb = (e: unknown): void => this.onPolicyError(e);

  constructor(private readonly opts: ControllerOptions) {
    if (!(Number.isFinite(opts.rateHz) && opts.rateHz >= 0)) {
      throw new ValueError(`controller: rate = ${opts.rateHz}; expected a number of Hz ≥ 0 (0 free-runs), e.g. --rate 1000.`);
    }
    if (opts.rateHz > 100_000)
      throw new ValueError(
        `controller: rate = ${opts.rateHz} Hz is above 100 kHz; a JavaScript control loop cannot keep deadlines of ${(1e6 / opts.rateHz).toFixed(1)} µs. Use ≤ 10000.`,
      );
    this.rateHz = opts.rateHz;
    this.periodNs = opts.rateHz > 0 ? 1e9 / opts.rateHz : 0;
    this.wait = opts.wait ?? 'hybrid';
    if (!WAIT_STRATEGIES.includes(this.wait))
      throw new ValueError(`controller: wait = ${JSON.stringify(this.wait)}; expected one of ${WAIT_STRATEGIES.join(', ')}.`);
    this.mode = opts.mode ?? 'greedy';
    if (this.mode !== 'greedy' && this.mode !== 'sample')
      throw new ValueError(`controller: mode = ${JSON.stringify(this.mode)}; expected "greedy" or "sample".`);
    this.actOpts = { mode: this.mode };
    this.warmup = opts.warmup ?? 2000;
    this.rssEvery = opts.rssEvery ?? 10_000;
    this.maxActions = opts.maxActions ?? Infinity;
    this.durationNs = opts.durationS !== undefined ? opts.durationS * 1e9 : Infinity;
    const margin = opts.sleepMarginUs ?? DEFAULT_SLEEP_MARGIN_US;
    if (!(Number.isFinite(margin) && margin >= 0))
      throw new ValueError(`controller: sleep margin = ${margin} µs; expected a number ≥ 0 (default ${DEFAULT_SLEEP_MARGIN_US}).`);
    this.sleepMarginNs = margin * 1000;
    for (const [name, v] of [
      ['warmup', this.warmup],
      ['rssEvery', this.rssEvery],
    ] as const) {
      if (!(Number.isSafeInteger(v) && v >= 0)) throw new ValueError(`controller: ${name} = ${v}; expected an integer ≥ 0.`);
    }
    if (!(this.maxActions >= 1)) throw new ValueError(`controller: actions = ${opts.maxActions}; expected an integer ≥ 1.`);
    if (!(this.durationNs > 0)) throw new ValueError(`controller: duration = ${opts.durationS} s; expected a number > 0.`);
    if (!opts.policy && opts.model === undefined)
      throw new ValueError('controller: pass a model path (--model policy.onnx) or a loaded policy.');
    const silenceMs = opts.silenceMs ?? DEFAULT_SILENCE_MS;
    if (!(Number.isFinite(silenceMs) && silenceMs >= 0))
      throw new ValueError(`controller: silence = ${describeValue(silenceMs)} ms; expected a number ≥ 0 (0: never report silence).`);
    this.silenceNs = silenceMs * 1e6;
    const helloS = opts.helloTimeoutS ?? DEFAULT_HELLO_TIMEOUT_S;
    if (!(Number.isFinite(helloS) && helloS > 0))
      throw new ValueError(`controller: hello timeout = ${describeValue(helloS)} s; expected a number > 0.`);
    const burst = opts.logBurst ?? 5;
    const interval = opts.logIntervalMs ?? 1000;
    if (!(Number.isSafeInteger(burst) && burst >= 1) || !(Number.isFinite(interval) && interval > 0))
      throw new ValueError(
        `controller: log burst = ${describeValue(burst)}, interval = ${describeValue(interval)} ms; expected an integer ≥ 1 and a number > 0.`,
      );
    this.logs = new LogThrottle(opts.log, { burst, intervalMs: interval });
    this.decoder = new FrameDecoder(
      (type, seq, aux, buf, off, len) => this.onFrame(type, seq, aux, buf, off, len),
      (code, msg) => this.onDesync(code, msg),
    );
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  /**
   * Where the loop is, for a supervisor (or a test): `tick` is the next tick number (every tick
   * before it was written, dropped, refused or skipped), `unacknowledged` whether an ACTION awaits
   * its ACK.
   */
  get status(): { running: boolean; tick: number; actions: number; droppedWrites: number; unacknowledged: boolean } {
    return {
      running: this.running,
      tick: this.tick,
      actions: this.actions,
      droppedWrites: this.droppedWrites,
      unacknowledged: this.unacked,
    };
  }

  /** Loads the policy, connects, handshakes, warms up and starts the clock. Resolves once running. */
  async start(): Promise<void> {
    if (this.opts.policy) this.policy = this.opts.policy;
    else {
      this.policy = await loadControllerPolicy(this.opts.model!, this.opts.runtime ?? 'node', this.opts.threads ?? 1);
      this.ownsPolicy = true;
    }
    const info = this.policy.info;
    if (this.mode === 'sample' && !info.sampling) {
      await this.releasePolicy();
      throw new ValueError(
        `controller: --mode sample needs a model with a sampling head, but this ${info.family} model has none (its metadata has no "sampling"). ` +
          'Re-export it with sampling (exporter option sampling: "inputs"), or use --mode greedy.',
      );
    }
    this.obsSize = info.observationSize;
    this.actionSize = info.actionSize;
    if (this.obsSize > MAX_FLOATS || this.actionSize > MAX_FLOATS) {
      await this.releasePolicy();
      throw new ValueError(
        `controller: the model takes ${this.obsSize} observation entries and gives ${this.actionSize} action entries; one frame of the robot-loop protocol carries at most ${MAX_FLOATS} float32. Serve it another way.`,
      );
    }
    this.obs = new Float32Array(this.obsSize);
    this.usedObs = new Float32Array(this.obsSize);
    this.goodObs = new Float32Array(this.obsSize);
    this.centreObs = new Float32Array(this.obsSize);
    const { low, high } = info.metadata.observation_space;
    for (let i = 0; i < this.obsSize; i++) {
      const lo = low[i] ?? -Infinity;
      const hi = high[i] ?? Infinity;
      this.centreObs[i] =
        Number.isFinite(lo) && Number.isFinite(hi) ? (lo + hi) / 2 : Number.isFinite(lo) ? lo : Number.isFinite(hi) ? hi : 0;
    }
    this.actionFrameBytes = floatFrameBytes(this.actionSize);
    this.actionFrame = Buffer.alloc(this.actionFrameBytes);
    this.log(
      `controller: ${info.family} model (${info.byteLength} bytes, env ${info.metadata.env_id}, obs ${this.obsSize}, action ${actionKindOf(this.policy)} ${this.actionSize}) on ${info.backend} ${info.executionProvider}`,
    );

    try {
      this.socket = await this.connect();
    } catch (err) {
      await this.releasePolicy();
      throw err;
    }
    this.socket.on('close', () => this.onClose());
    this.socket.on('error', (err) => this.logs.log('controller: socket error', `controller: socket error: ${err.message}`));

    const hello: ControllerHello = {
      protocol: VERSION,
      role: 'controller',
      family: info.family,
      envId: info.metadata.env_id,
      obsSize: this.obsSize,
      actionSize: this.actionSize,
      actionKind: actionKindOf(this.policy),
      numActions: info.actionSpace.kind === 'box' ? 0 : info.numActions,
      rateHz: this.rateHz,
    };
    this.socket.write(encodeJson(FrameType.HELLO, hello));
    const helloMs = (this.opts.helloTimeoutS ?? DEFAULT_HELLO_TIMEOUT_S) * 1000;
    const robot = await new Promise<RobotHello | Error>((resolve) => {
      if (this.stopping) return resolve(new Error(this.stopError ?? `stopped (${this.stopReason}) before the robot's HELLO`));
      this.helloWaiter = resolve;
      setTimeout(
        () =>
          resolve(
            new Error(
              `the robot sent no HELLO within ${helloMs} ms of connecting; is it a gmmrl robot-loop robot (protocol version ${VERSION})?`,
            ),
          ),
        helloMs,
      ).unref();
    });
    this.helloWaiter = null;
    if (robot instanceof Error) return this.abortStart('handshake-failed', robot.message);
    const mismatch: string[] = [];
    if (robot.obsSize !== this.obsSize)
      mismatch.push(
        `observation size ${robot.obsSize} (the model takes ${this.obsSize}: observation_space.shape ${JSON.stringify(info.metadata.observation_space.shape)})`,
      );
    if (robot.actionSize !== this.actionSize)
      mismatch.push(`action size ${robot.actionSize} (the model's ${actionKindOf(this.policy)} action has ${this.actionSize} entries)`);
    if (mismatch.length) {
      const msg = `robot ${JSON.stringify(peerText(String(robot.name)))} reports ${mismatch.join(' and ')}; point the controller at a model trained for this robot (env ${info.metadata.env_id}).`;
      this.sendError(ErrorCode.BAD_HELLO, msg);
      return this.abortStart('handshake-failed', msg);
    }
    this.log(`controller: robot ${JSON.stringify(peerText(String(robot.name)))} connected`);
    this.startSilenceWatch();

    // warm-up on the first observation: JIT, ONNX Runtime's buffers; nothing is sent. An observation
    // the model cannot compute is refused like any bad frame, and the warm-up waits for the next one.
    for (;;) {
      if (this.obsSeq < 0) {
        await new Promise<void>((resolve) => {
          if (this.stopping) return resolve();
          this.firstObsWaiter = resolve;
        });
        this.firstObsWaiter = null;
      }
      if (this.stopping) return this.finishStart();
      const seq = this.obsSeq;
      this.usedObs.set(this.obs);
      let failure: unknown = null;
      // at least one call, even with warmup 0: it checks that the model computes the first observation
      for (let i = 0; i < Math.max(1, this.warmup) && !this.stopping; i++) {
        try {
          await this.policy.envAction(this.usedObs, this.actOpts);
        } catch (e) {
          failure = e;
          break;
        }
      }
      if (this.stopping) return this.finishStart();
      if (failure === null) break;
      const reason = await this.inputFault(failure);
      if (reason === null) return this.abortStart('policy-error', this.policyErrorText(failure));
      this.refuseObservation(seq, reason);
      if (this.obsSeq === seq) this.obsSeq = -1; // no newer observation arrived meanwhile: wait for one
    }
    this.goodObs.set(this.usedObs);
    this.goodSeq = this.obsSeq;
    this.haveGood = true;
    this.readMemory(true);
    this.observeGc();
    this.cpuStart = process.cpuUsage();
    this.running = true;
    this.t0 = nowNs() + (this.periodNs > 0 ? this.periodNs : 0);
    this.deadline = this.t0;
    this.log(`controller: running at ${this.rateHz > 0 ? `${this.rateHz} Hz` : 'free-run'} (wait ${this.wait}, mode ${this.mode})`);
    this.poll();
  }

  private abortStart(reason: StopReason, message: string): void {
    this.stopReason ??= reason;
    this.stopError ??= message;
    this.stopping = true;
    this.finishStart();
  }

  private finishStart(): void {
    void this.finish();
  }

  private async connect(): Promise<Socket> {
    const deadline = Date.now() + (this.opts.connectTimeoutS ?? 10) * 1000;
    const where = this.opts.tcp ? `tcp://${this.opts.tcp.host}:${this.opts.tcp.port}` : (this.opts.socket ?? DEFAULT_SOCKET);
    for (;;) {
      try {
        return await new Promise<Socket>((resolve, reject) => {
          const onread = {
            buffer: this.readBuf,
            callback: (n: number, buf: Uint8Array): boolean => {
              this.decoder.push(buf, 0, n);
              return true;
            },
          };
          const s = this.opts.tcp
            ? connect({ host: this.opts.tcp.host, port: this.opts.tcp.port, onread, noDelay: true })
            : connect({ path: this.opts.socket ?? DEFAULT_SOCKET, onread });
          s.once('connect', () => {
            s.off('error', reject);
            resolve(s);
          });
          s.once('error', reject);
        });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const retry = code === 'ENOENT' || code === 'ECONNREFUSED';
        if (!retry || Date.now() > deadline) {
          throw new GmmrlError(
            `controller: cannot connect to the robot at ${where}: ${(err as Error).message}.` +
              (retry
                ? ` Start the robot (or sim-robot.js) first, or raise --connect-timeout (now ${this.opts.connectTimeoutS ?? 10} s).`
                : ''),
          );
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** Requests a clean stop: the tick in flight finishes, then BYE, close, summary. */
  stop(reason: StopReason = 'stop'): void {
    if (this.stopping) return;
    this.stopReason = reason;
    this.stopping = true;
    this.helloWaiter?.(new Error(`stopped (${reason}) during the handshake`));
    this.firstObsWaiter?.();
    if (!this.running) return; // start() notices and finishes
    if (!this.inFlight) void this.finish();
  }

  // ------------------------------------------------------------------ incoming frames

  private onFrame(type: number, seq: number, aux: number, buf: Buffer, off: number, len: number): void {
    const now = nowNs();
    if (this.silent) this.endSilence(now);
    this.lastFrameNs = now;
    if (type === FrameType.ACK) {
      if (len !== 0 || !this.unacked || seq !== this.unackedTick) {
        return this.badFrame(
          ErrorCode.BAD_ACK,
          len !== 0
            ? `ACK seq ${seq} has a ${len}-byte payload; an ACK is a bare header. Frame ignored.`
            : !this.unacked
              ? `ACK seq ${seq}, but no ACTION awaits acknowledgement; acknowledge each ACTION once, with its tick as seq. Frame ignored.`
              : `ACK seq ${seq}, but the ACTION awaiting acknowledgement is tick ${this.unackedTick}; acknowledge each ACTION once, with its tick as seq. Frame ignored.`,
        );
      }
      this.unacked = false;
      this.acks++;
      return;
    }
    if (type === FrameType.OBS) {
      if (this.robotHello === null)
        return this.badFrame(
          ErrorCode.UNEXPECTED_TYPE,
          `an OBS frame arrived before the robot's HELLO; send HELLO {"protocol":${VERSION},"role":"robot","name":…,"obsSize":…,"actionSize":…} first.`,
        );
      if (len !== 4 * this.obsSize) {
        return this.badFrame(
          ErrorCode.BAD_OBS_SIZE,
          `OBS seq ${seq} has ${len} payload bytes (${len / 4} float32), the model expects ${this.obsSize} float32 (${4 * this.obsSize} bytes). Observation ignored.`,
        );
      }
      for (let i = 0; i < this.obsSize; i++) {
        const x = buf.readFloatLE(off + 4 * i);
        if (x - x !== 0) {
          return this.badFrame(
            ErrorCode.BAD_OBS_VALUE,
            `OBS seq ${seq}: obs[${i}] is ${x}; observations must be finite. Observation ignored (the previous one stays in use); check the sensor.`,
          );
        }
      }
      for (let i = 0; i < this.obsSize; i++) this.obs[i] = buf.readFloatLE(off + 4 * i);
      this.obsSeq = seq;
      this.obsArrivalNs = now;
      this.obsReceived++;
      if (aux & OBS_FLAG_RESET) this.obsResets++;
      if (this.firstObsWaiter) this.firstObsWaiter();
      return;
    }
    if (type === FrameType.HELLO) {
      if (this.robotHello !== null)
        return this.badFrame(ErrorCode.UNEXPECTED_TYPE, 'a second HELLO on the same connection; reconnect to start a new session.');
      let h: RobotHello;
      try {
        h = JSON.parse(payloadText(buf, off, len)) as RobotHello;
      } catch {
        const msg = `the robot HELLO payload is not JSON; send {"protocol":${VERSION},"role":"robot","name":…,"obsSize":…,"actionSize":…}.`;
        this.sendError(ErrorCode.BAD_HELLO, msg);
        this.helloWaiter?.(new Error(msg));
        return;
      }
      if (
        typeof h !== 'object' ||
        h === null ||
        h.role !== 'robot' ||
        !Number.isSafeInteger(h.obsSize) ||
        !Number.isSafeInteger(h.actionSize)
      ) {
        const msg = `the robot HELLO ${peerText(payloadText(buf, off, len))} lacks role "robot" or integer obsSize/actionSize.`;
        this.sendError(ErrorCode.BAD_HELLO, msg);
        this.helloWaiter?.(new Error(msg));
        return;
      }
      this.robotHello = h;
      this.helloWaiter?.(h);
      return;
    }
    if (type === FrameType.BYE) {
      this.log('controller: the robot said BYE');
      return this.stop('robot-bye');
    }
    if (type === FrameType.ERROR) {
      const text = `${ERROR_CODE_NAMES[aux] ?? `code ${aux}`}: ${peerText(payloadText(buf, off, Math.min(len, 4096)))}`;
      this.robotErrorCount++;
      if (this.robotErrors.length < MAX_ROBOT_ERRORS) this.robotErrors.push(text);
      this.logs.log('controller: the robot reports', `controller: the robot reports ${text}`);
      // an ERROR instead of the robot's HELLO: the robot refused ours, so the handshake fails now
      if (this.robotHello === null) this.helloWaiter?.(new Error(`the robot refused the handshake: ${text}`));
      return;
    }
    const name = FRAME_TYPE_NAMES[type];
    this.badFrame(
      ErrorCode.UNEXPECTED_TYPE,
      `frame type ${type} (${name ?? 'unknown'}) was sent to the controller; a robot sends HELLO (1), OBS (2), ERROR (4), BYE (5) and ACK (6). Frame ignored.`,
    );
  }

  private badFrame(code: ErrorCode, message: string): void {
    this.badFrames++;
    this.logs.log('controller: refused a frame', `controller: refused a frame from the robot (${ERROR_CODE_NAMES[code]}): ${message}`);
    this.sendError(code, message);
  }

  private sendError(code: ErrorCode, message: string): void {
    const s = this.socket;
    if (s && !s.destroyed && s.writable && s.writableLength <= ERROR_BACKLOG_BYTES) {
      s.write(encodeError(code, message));
      this.errorsSent++;
    } else this.errorsNotSent++;
  }

  private onDesync(code: ErrorCode, message: string): void {
    this.badFrames++;
    this.sendError(code, message);
    this.log(`controller: protocol error: ${message}`);
    this.stopError = message;
    this.stop('protocol-error');
  }

  private onClose(): void {
    if (this.finished || this.stopping) {
      if (!this.running) this.firstObsWaiter?.();
      return;
    }
    this.stopError = 'the robot closed the connection';
    this.stop('robot-disconnected');
  }

  // ------------------------------------------------------------------ the loop

  private poll(): void {
    if (this.stopping) {
      void this.finish();
      return;
    }
    if (this.periodNs === 0) {
      // free-run: act on every fresh observation
      if (this.obsSeq !== this.obsSeqUsed) return this.startTick(nowNs());
      setImmediate(this.pollCb);
      return;
    }
    const now = nowNs();
    const rem = this.deadline - now;
    if (rem <= 0) return this.startTick(now);
    switch (this.wait) {
      case 'spin':
        spinUntil(this.deadline);
        return this.startTick(nowNs());
      case 'timer':
        setTimeout(this.pollCb, Math.floor(rem / 1e6));
        return;
      case 'immediate':
        setImmediate(this.pollCb);
        return;
      case 'sleep':
        if (!this.ioTurnDone) {
          if (rem > TIMER_MARGIN_NS) {
            setTimeout(this.pollCb, Math.floor((rem - TIMER_MARGIN_NS) / 1e6));
            return;
          }
          if (rem > this.sleepMarginNs) sleepNs(rem - this.sleepMarginNs);
          // one event-loop turn: the poll phase reads what the robot sent while we slept
          this.ioTurnDone = true;
          setImmediate(this.pollCb);
          return;
        }
        if (this.obsSeq === this.obsSeqUsed && rem > SPIN_WINDOW_NS) {
          // no fresh observation yet: keep polling the socket while there is time
          setImmediate(this.pollCb);
          return;
        }
        spinUntil(this.deadline);
        this.startTick(nowNs());
        return;
      default:
        // hybrid
        if (rem > TIMER_MARGIN_NS) {
          setTimeout(this.pollCb, Math.floor((rem - TIMER_MARGIN_NS) / 1e6));
          return;
        }
        if (this.obsSeq === this.obsSeqUsed && rem > SPIN_WINDOW_NS) {
          // the robot's newest observation is not in yet: another event-loop turn reads the socket
          setImmediate(this.pollCb);
          return;
        }
        if (!this.lastLookDone && rem > LAST_LOOK_NS) {
          // a last event-loop turn shortly before the tick: if a second observation was in flight
          // (after a late tick), the tick gets the newest one instead of lagging a step behind
          spinUntil(this.deadline - LAST_LOOK_NS);
          this.lastLookDone = true;
          setImmediate(this.pollCb);
          return;
        }
        spinUntil(this.deadline);
        this.startTick(nowNs());
    }
  }

  private startTick(now: number): void {
    this.tickStartNs = now;
    this.ioTurnDone = false;
    this.lastLookDone = false;
    if (this.periodNs > 0 && !this.retryingTick) this.wakeLate.record(now - this.deadline);
    if (this.obsSeq === this.obsSeqUsed) this.stale++;
    this.obsSeqUsed = this.obsSeq;
    this.inFlight = true;
    // the tick's own copy: a newer OBS arriving while ONNX Runtime runs overwrites this.obs, and a
    // refused observation must be named in the ERROR (the runtime copies its input synchronously)
    this.usedObs.set(this.obs);
    this.policy.envAction(this.usedObs, this.actOpts).then(this.onActionCb, this.onPolicyErrorCb);
  }

  private onAction(a: number | Float32Array | Float64Array): void {
    this.inFlight = false;
    this.retryingTick = false;
    const got = typeof a === 'number' ? 1 : a.length;
    if (got !== this.actionSize) {
      this.stopError = `the policy returned an action of ${got} entries, the handshake announced ${this.actionSize}`;
      this.stop('policy-error');
      void this.finish();
      return;
    }
    // this observation gave a valid action: it is the one to fall back on (swap, no copy)
    const t = this.goodObs;
    this.goodObs = this.usedObs;
    this.usedObs = t;
    this.goodSeq = this.obsSeqUsed;
    this.haveGood = true;
    const s = this.socket!;
    if (this.unacked || s.destroyed || !s.writable) {
      // the robot has not read the previous ACTION: writing this one would queue a command that is
      // stale by the time the robot reads it (and `frame` may still be in Node's write queue)
      this.droppedWrites++;
    } else {
      const frame = this.actionFrame;
      if (typeof a === 'number') encodeScalarAction(frame, this.tick, this.obsSeqUsed, a);
      else encodeFloatFrame(frame, FrameType.ACTION, this.tick, this.obsSeqUsed, a);
      s.write(frame);
      this.unacked = true;
      this.unackedTick = this.tick;
      const end = nowNs();
      this.endNs = end;
      if (this.periodNs > 0) {
        this.latency.record(end - this.deadline);
        if (end > this.deadline + this.periodNs) this.late++;
      } else {
        // from the observation's arrival, or from the clock's start for one that arrived during warm-up
        this.latency.record(end - (this.obsArrivalNs > this.t0 ? this.obsArrivalNs : this.t0));
      }
      this.compute.record(end - this.tickStartNs);
      this.actions++;
      if (this.rssEvery > 0 && this.actions % this.rssEvery === 0 && this.rssCount < MAX_RSS_SAMPLES) {
        const g = this.opts.gcEverySample ? (globalThis as { gc?: () => void }).gc : undefined;
        if (g) g();
        this.rssSamples[2 * this.rssCount] = this.actions;
        this.rssSamples[2 * this.rssCount + 1] = process.memoryUsage.rss();
        this.rssCount++;
      }
    }
    this.endTick();
  }

  /** After a tick (served, dropped or refused): the stop conditions, the next deadline, the next poll. */
  private endTick(): void {
    const end = nowNs();
    this.endNs = end;
    this.tick++;
    if (this.actions >= this.maxActions) return this.stop('actions');
    if (end - this.t0 >= this.durationNs) return this.stop('duration');
    if (this.periodNs > 0) {
      this.deadline += this.periodNs;
      const now = nowNs();
      if (now >= this.deadline + this.periodNs) {
        // ticks whose whole window has passed cannot be served in time: skip them
        const n = Math.floor((now - this.deadline) / this.periodNs);
        this.skipped += n;
        this.deadline += n * this.periodNs;
        this.tick += n;
      }
    }
    this.poll();
  }

  private onPolicyError(e: unknown): void {
    void this.inputFault(e).then((reason) => {
      this.inFlight = false;
      if (reason === null) return this.policyFailed(e);
      const retry = this.retryingTick;
      this.retryingTick = false;
      this.refuseObservation(this.obsSeqUsed, reason);
      if (this.stopping) return void this.finish();
      if (this.periodNs > 0 && this.haveGood && !retry) {
        // serve this tick from the previous observation, as for an observation refused on arrival
        this.retryingTick = true;
        return this.startTick(this.tickStartNs);
      }
      // free-run: nothing fresh to act on; paced without a usable observation: the tick is not served
      if (this.periodNs > 0) this.skipped++;
      this.endTick();
    });
  }

  private policyFailed(e: unknown): void {
    const msg = this.policyErrorText(e);
    this.sendError(
      ErrorCode.POLICY_ERROR,
      `the policy failed at tick ${this.tick}: ${msg} The controller stops; hold the robot in a safe state.`,
    );
    this.stopError = msg;
    this.stop('policy-error');
    void this.finish();
  }

  private policyErrorText(e: unknown): string {
    return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }

  /**
   * Why the policy's failure on the observation of this call is the observation's fault, or null when
   * it is the model's. Input errors of the runtime (ValueError, ShapeError) say so themselves. A
   * ModelFormatError (a non-finite or out-of-bounds output) is the observation's fault when the same
   * policy gives a valid action for an observation known to work: the last one that did, or the
   * centre of the observation space before any has.
   */
  private async inputFault(e: unknown): Promise<string | null> {
    if (e instanceof ValueError || e instanceof ShapeError) return `the policy refused it (${e.name}: ${e.message})`;
    if (!(e instanceof ModelFormatError)) return null;
    const probe = this.haveGood ? this.goodObs : this.centreObs;
    try {
      await this.policy.envAction(probe, this.actOpts);
    } catch {
      return null;
    }
    return (
      `the policy gives no valid action for it (${e.message}) but does for ${this.haveGood ? 'the previous observation' : 'the centre of the observation space'}: ` +
      'it is outside the range the model computes in'
    );
  }

  /** An observation the model cannot compute: ERROR reply, counted, and the previous observation back in use. */
  private refuseObservation(seq: number, reason: string): void {
    this.obsRejectedByModel++;
    this.badFrame(
      ErrorCode.BAD_OBS_VALUE,
      `OBS seq ${seq} = ${describeValue(this.usedObs)}: ${reason}. Observation ignored (the previous one stays in use); check the sensor.`,
    );
    if (this.obsSeq === seq && this.haveGood) {
      // no newer observation arrived meanwhile: fall back on the last good one
      this.obs.set(this.goodObs);
      this.obsSeq = this.goodSeq;
      this.obsSeqUsed = this.goodSeq;
    }
  }

  // ------------------------------------------------------------------ silence

  private startSilenceWatch(): void {
    if (this.silenceNs <= 0) return;
    this.lastFrameNs = nowNs();
    this.silenceTimer = setInterval(
      () => {
        const now = nowNs();
        if (!this.silent && now - this.lastFrameNs >= this.silenceNs) {
          this.silent = true;
          this.silences++;
          this.log(
            `controller: the robot has sent nothing for ${((now - this.lastFrameNs) / 1e6).toFixed(0)} ms` +
              (this.running ? `; ticks go on with observation seq ${this.obsSeq}` : ''),
          );
        }
      },
      Math.max(1, Math.min(100, this.silenceNs / 4e6)),
    );
    this.silenceTimer.unref();
  }

  private endSilence(now: number): void {
    this.silent = false;
    const gap = now - this.lastFrameNs;
    if (gap > this.longestSilenceNs) this.longestSilenceNs = gap;
    this.log(`controller: the robot is back after ${(gap / 1e9).toFixed(3)} s of silence`);
  }

  // ------------------------------------------------------------------ shutdown and summary

  private readMemory(before: boolean): void {
    const g = (globalThis as { gc?: () => void }).gc;
    if (g && this.opts.gcForRss !== false) {
      g();
      this.gcBeforeReadings = true;
    }
    const m = process.memoryUsage();
    const detail: Record<string, number> = { heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
    for (const sp of getHeapSpaceStatistics()) detail[`v8 ${sp.space_name}`] = sp.space_size;
    if (before) this.detailBefore = detail;
    else this.detailAfter = detail;
    if (before) {
      this.rssBefore = m.rss;
      this.heapBefore = m.heapUsed;
    } else {
      this.rssAfterValue = m.rss;
      this.heapAfterValue = m.heapUsed;
    }
  }
  private rssAfterValue = 0;
  private heapAfterValue = 0;
  private detailBefore: Record<string, number> = {};
  private detailAfter: Record<string, number> = {};

  private observeGc(): void {
    try {
      this.gcObserver = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          this.gcCount++;
          this.gcTotalMs += e.duration;
          if (e.duration > this.gcMaxMs) this.gcMaxMs = e.duration;
        }
      });
      this.gcObserver.observe({ entryTypes: ['gc'] });
    } catch {
      this.gcObserver = null;
    }
  }

  private async releasePolicy(): Promise<void> {
    if (this.ownsPolicy) await this.policy.dispose().catch(() => undefined);
  }

  private finishing = false;
  private async finish(): Promise<void> {
    if (this.finishing || this.inFlight) return;
    this.finishing = true;
    const wasRunning = this.running;
    this.running = false;
    if (wasRunning) {
      this.cpuEnd = process.cpuUsage(this.cpuStart ?? undefined);
      if (this.endNs === 0) this.endNs = nowNs();
    }
    this.gcObserver?.disconnect();
    if (this.silenceTimer) clearInterval(this.silenceTimer);
    this.logs.flush();
    if (wasRunning) this.readMemory(false);
    const summary = this.summary(wasRunning);
    const s = this.socket;
    if (s && !s.destroyed) {
      if (s.writable) s.write(encodeJson(FrameType.BYE, { stopReason: summary.stopReason, actions: summary.actions }));
      // half-close and wait for the robot to close its side (it does on BYE), so that nothing it
      // still sends is cut off with a reset; give up after a second
      await new Promise<void>((resolve) => {
        s.once('close', () => resolve());
        s.end();
        setTimeout(resolve, 1000).unref();
      });
      s.destroy();
    }
    await this.releasePolicy();
    this.finished = true;
    this.resolveDone(summary);
  }

  private summary(ran: boolean): ControllerSummary {
    const info = this.policy.info;
    const elapsedS = ran && this.t0 > 0 ? Math.max(0, this.endNs - this.t0 + (this.periodNs > 0 ? this.periodNs : 0)) / 1e9 : 0;
    const rssSamples: [number, number][] = [];
    for (let i = 0; i < this.rssCount; i++) rssSamples.push([this.rssSamples[2 * i]!, this.rssSamples[2 * i + 1]!]);
    const cpu = this.cpuEnd ?? { user: 0, system: 0 };
    return {
      stopReason: this.stopReason ?? 'stop',
      ...(this.stopError !== undefined ? { error: this.stopError } : {}),
      model: {
        family: info.family,
        envId: info.metadata.env_id,
        obsSize: this.obsSize,
        actionSize: this.actionSize,
        actionKind: actionKindOf(this.policy),
        components: info.components,
        bytes: info.byteLength,
      },
      runtime: { backend: info.backend, executionProvider: info.executionProvider, threads: this.opts.threads ?? 1, mode: this.mode },
      rateHz: this.rateHz,
      wait: this.wait,
      warmupCalls: Math.max(1, this.warmup),
      actions: this.actions,
      elapsedS,
      achievedHz: elapsedS > 0 ? this.actions / elapsedS : 0,
      latency: this.latency.summaryUs(),
      compute: this.compute.summaryUs(),
      wakeLate: this.wakeLate.summaryUs(),
      deadlineMisses: this.late + this.skipped,
      late: this.late,
      skipped: this.skipped,
      staleObservations: this.stale,
      actionsAcknowledged: this.acks,
      droppedWrites: this.droppedWrites,
      obsReceived: this.obsReceived,
      obsResets: this.obsResets,
      badFramesReceived: this.badFrames,
      obsRejectedByModel: this.obsRejectedByModel,
      errorsSent: this.errorsSent,
      errorsNotSent: this.errorsNotSent,
      robotErrorCount: this.robotErrorCount,
      robotErrors: [...this.robotErrors],
      silences: this.silences,
      longestSilenceS: Math.max(this.longestSilenceNs, this.silent ? nowNs() - this.lastFrameNs : 0) / 1e9,
      logLinesSuppressed: this.logs.suppressedTotal,
      memory: {
        rssBeforeBytes: this.rssBefore,
        rssAfterBytes: this.rssAfterValue,
        rssGrowthBytes: this.rssAfterValue - this.rssBefore,
        heapUsedBeforeBytes: this.heapBefore,
        heapUsedAfterBytes: this.heapAfterValue,
        detailBefore: this.detailBefore,
        detailAfter: this.detailAfter,
        gcBeforeReadings: this.gcBeforeReadings,
        rssSamples,
      },
      gc: { count: this.gcCount, totalMs: this.gcTotalMs, maxMs: this.gcMaxMs },
      cpu: { userS: cpu.user / 1e6, systemS: cpu.system / 1e6, utilization: elapsedS > 0 ? (cpu.user + cpu.system) / 1e6 / elapsedS : 0 },
      host: {
        node: process.version,
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: cpus().length,
        platform: `${process.platform}-${process.arch}`,
      },
    };
  }
}

export { DEFAULT_SOCKET } from './protocol.js';

/** Starts a controller; resolves once it runs (or has already stopped during startup). */
export async function startController(opts: ControllerOptions): Promise<Controller> {
  const c = new Controller(opts);
  await c.start();
  return c;
}

export const CONTROLLER_FLAGS: FlagSpecs = {
  model: { type: 'string', help: 'exported gmmrl ONNX model (required)' },
  socket: { type: 'string', help: 'Unix domain socket of the robot', default: DEFAULT_SOCKET },
  tcp: { type: 'string', help: 'connect over TCP instead, host:port (e.g. 127.0.0.1:7777)' },
  rate: { type: 'number', help: 'control rate in Hz (0: one action per fresh observation, as fast as possible)', default: 500 },
  duration: { type: 'number', help: 'stop after this many seconds (default: until SIGINT)' },
  actions: { type: 'int', help: 'stop after this many actions (default: until SIGINT)' },
  wait: { type: 'string', help: 'how to wait for each tick', choices: WAIT_STRATEGIES, default: 'hybrid' },
  mode: {
    type: 'string',
    help: 'greedy actions, or sampled from the policy (needs a sampling head)',
    choices: ['greedy', 'sample'],
    default: 'greedy',
  },
  runtime: { type: 'string', help: 'onnxruntime-node (cpu) or onnxruntime-web (wasm)', choices: ['node', 'web'], default: 'node' },
  threads: { type: 'int', help: 'onnxruntime-node intra-op threads', default: 1 },
  warmup: { type: 'int', help: 'policy calls on the first observation before the clock starts (not sent)', default: 2000 },
  'connect-timeout': { type: 'number', help: 'seconds to keep retrying the connection', default: 10 },
  'rss-every': { type: 'int', help: 'sample RSS every N actions (0: never)', default: 10000 },
  'rss-gc': { type: 'boolean', help: 'full GC before every RSS sample (needs node --expose-gc; pauses the loop)', default: false },
  'sleep-margin': {
    type: 'number',
    help: 'sleep wait: wake from the kernel sleep this many µs before each tick',
    default: DEFAULT_SLEEP_MARGIN_US,
  },
  silence: {
    type: 'number',
    help: 'report a robot that sends nothing for this many ms, and when it is back (0: never)',
    default: DEFAULT_SILENCE_MS,
  },
  'hello-timeout': { type: 'number', help: "seconds to wait for the robot's HELLO", default: DEFAULT_HELLO_TIMEOUT_S },
  summary: { type: 'string', help: 'also write the summary JSON to this file' },
  quiet: { type: 'boolean', help: 'no progress lines on stderr', default: false },
  help: { type: 'boolean', help: 'print this help', default: false },
};

function parseTcp(spec: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(spec);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !m[1] || !(port >= 1 && port <= 65535))
    throw new ValueError(`controller: --tcp ${JSON.stringify(spec)}; expected host:port, e.g. 127.0.0.1:7777.`);
  return { host: m[1], port };
}

/** The CLI: runs until done, prints the summary JSON on stdout, returns the exit code. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const usage = 'node dist/examples/robot-loop/controller.js --model policy.onnx [flags]';
  const flags = parseMainFlags('robot-loop controller', usage, argv, CONTROLLER_FLAGS);
  if (typeof flags === 'number') return flags;
  if (typeof flags.model !== 'string') {
    console.error(`robot-loop controller: --model is required.\n\n${formatHelp(usage, CONTROLLER_FLAGS)}`);
    return 2;
  }
  const quiet = flags.quiet === true;
  let controller: Controller;
  try {
    controller = new Controller({
      model: flags.model,
      socket: flags.socket as string,
      tcp: typeof flags.tcp === 'string' ? parseTcp(flags.tcp) : undefined,
      rateHz: flags.rate as number,
      durationS: flags.duration as number | undefined,
      maxActions: flags.actions as number | undefined,
      wait: flags.wait as WaitStrategy,
      mode: flags.mode as 'greedy' | 'sample',
      runtime: flags.runtime as 'node' | 'web',
      threads: flags.threads as number,
      warmup: flags.warmup as number,
      connectTimeoutS: flags['connect-timeout'] as number,
      rssEvery: flags['rss-every'] as number,
      sleepMarginUs: flags['sleep-margin'] as number,
      gcEverySample: flags['rss-gc'] as boolean,
      silenceMs: flags.silence as number,
      helloTimeoutS: flags['hello-timeout'] as number,
      log: quiet ? undefined : (line) => console.error(line),
    });
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  let signals = 0;
  const onSignal = (sig: 'SIGINT' | 'SIGTERM') => {
    signals++;
    if (signals > 1) {
      console.error(`controller: second ${sig}, exiting without cleanup`);
      process.exit(130);
    }
    if (!quiet) console.error(`controller: ${sig}, stopping`);
    controller.stop(sig);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  try {
    await controller.start();
  } catch (err) {
    console.error((err as Error).message);
    return 1;
  }
  const summary = await controller.done;
  const text = JSON.stringify(summary);
  if (typeof flags.summary === 'string') writeFileSync(flags.summary, JSON.stringify(summary, null, 2) + '\n');
  console.log(text);
  if (!quiet) {
    const l = summary.latency;
    console.error(
      `controller: ${summary.stopReason}${summary.error ? ` (${summary.error})` : ''}; ${summary.actions} actions in ${summary.elapsedS.toFixed(2)} s ` +
        `(${summary.achievedHz.toFixed(1)} Hz); ` +
        (l.n > 0
          ? `latency p50 ${formatUs(l.p50Us)}, p99 ${formatUs(l.p99Us)}, p99.9 ${formatUs(l.p999Us)}, max ${formatUs(l.maxUs)}; `
          : 'no latency measured (no action written); ') +
        `deadline misses ${summary.deadlineMisses}, dropped writes ${summary.droppedWrites}, bad frames ${summary.badFramesReceived}`,
    );
  }
  return summary.stopReason === 'handshake-failed' ? 2 : CLEAN_STOPS.includes(summary.stopReason) ? 0 : 1;
}

runAsScript(import.meta.url, main);
