/**
 * A simulated robot for the robot-loop example: a server on a Unix domain socket (or TCP) that
 * speaks protocol.ts. It stands in for a real robot's bridge process: it streams observations and
 * applies the actions it receives.
 *
 *   node dist/examples/robot-loop/sim-robot.js [--socket /tmp/gmmrl-robot.sock | --tcp 7777] [--env Pendulum-v1] [--seed 0] [--once]
 *
 * Session: the controller connects and sends HELLO (family, envId, sizes, rate). The robot checks
 * it (positive integer sizes that one frame can carry, MAX_FLOATS; a known action kind; the sizes of
 * the environment it will simulate) and refuses anything else with ERROR 7 before allocating
 * anything for it; a connection that sends no acceptable HELLO within --hello-timeout is closed.
 * It builds the environment — `--env`, else the model's envId when gmmrl/envs knows it, else a
 * synthetic robot — answers HELLO with its own observation and action sizes, then sends OBS seq 0
 * (flag reset). Every ACTION read is acknowledged (ACK, its tick), then checked (size, finite values,
 * a discrete index in range), applied with env.step (one step per action: the simulation advances by
 * one environment step per control tick, whatever the environment's own dt), and answered at once
 * with the next OBS; an episode that ends is reset and its first observation carries the reset flag.
 * A bad ACTION gets an ERROR reply and is not applied. BYE from the controller ends the session.
 *
 * Hostile or broken controllers: every refused frame is counted (`badFrames`); replies are not
 * queued past SEND_BACKLOG_BYTES for a peer that does not read (counted in `framesNotSent`); log
 * lines are throttled and peer text is cut and escaped; at most --max-sessions connections are open.
 *
 * Timing the robot can see: the interval between consecutive actions (the command jitter an
 * actuator would see) and gaps in the controller's tick numbers (ticks the controller skipped).
 *
 * The synthetic robot (for models whose env is not in gmmrl/envs, or `--env synthetic`): the
 * observation is a bounded random walk (each entry x ← clip(0.99·x + 0.1·ξ, −3, 3), ξ ~ N(0, 1),
 * plus the first action entry times 0.01 on entry 0), obsSize and actionSize taken from the
 * controller's HELLO. It never ends an episode.
 *
 * stdout: one JSON line {"event":"listening",…} when ready, one {"event":"session",…} summary per
 * finished session. `--once` exits after the first session. SIGINT/SIGTERM: BYE to a connected
 * controller, close, exit 0.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { existsSync, unlinkSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { flatSize, listEnvs, make, type Env } from 'gmmrl/envs';
import { Rng, ValueError, describeValue } from 'gmmrl/runtime';
import { parseMainFlags, runAsScript, type FlagSpecs } from './flags.js';
import { LatencyHistogram, type LatencySummaryUs } from './histogram.js';
import { LogThrottle } from './log-throttle.js';
import {
  DEFAULT_SOCKET,
  ERROR_CODE_NAMES,
  ErrorCode,
  FRAME_TYPE_NAMES,
  FrameDecoder,
  FrameType,
  ACK_BYTES,
  MAX_FLOATS,
  OBS_FLAG_RESET,
  VERSION,
  encodeAck,
  encodeError,
  encodeFloatFrame,
  encodeJson,
  floatFrameBytes,
  payloadText,
  peerText,
  type ControllerHello,
  type RobotHello,
} from './protocol.js';

export { DEFAULT_SOCKET } from './protocol.js';

export interface SimRobotOptions {
  socket?: string;
  tcpPort?: number;
  tcpHost?: string;
  /** Environment id (gmmrl/envs) or 'synthetic'; default: the controller's envId when known. */
  env?: string;
  seed?: number;
  name?: string;
  /** Seconds a connection may take to send an acceptable HELLO before it is closed (default 5). */
  helloTimeoutS?: number;
  /** Most connections open at once (default 16); more are closed by the server on accept. */
  maxSessions?: number;
  /** Log throttling: lines of one kind written per interval (default 5) and the interval in ms (default 1000). */
  logBurst?: number;
  logIntervalMs?: number;
  log?: (line: string) => void;
}

/** Replies are not written while more than this many bytes wait unsent (a controller that does not read). */
export const SEND_BACKLOG_BYTES = 262144;
const MAX_ERRORS_KEPT = 100;
/** `summaries` keeps the latest this many sessions (a server that runs for days must not grow). */
const MAX_SUMMARIES_KEPT = 1000;

export interface SessionSummary {
  event: 'session';
  env: string;
  actions: number;
  episodes: number;
  totalReward: number;
  /** Episodes that ended (terminated or truncated) during the session, and their mean return. */
  completedEpisodes: number;
  meanEpisodeReturn: number | null;
  /** Interval between consecutive actions at the robot, µs. */
  interval: LatencySummaryUs;
  /** Actions computed from an observation older than the newest one the robot had sent (ACTION aux < newest OBS seq). */
  staleActions: number;
  /** Controller ticks that never arrived (gaps in the ACTION seq). */
  tickGaps: number;
  badActions: number;
  /** Frames refused with an ERROR (or, for a desync, a closed connection): bad HELLOs, unexpected types, bad actions. */
  badFrames: number;
  /** ACK frames written (one per ACTION read after the handshake). */
  acksSent: number;
  /** Frames not written: over SEND_BACKLOG_BYTES were still unsent, or the socket was closed. */
  framesNotSent: number;
  /** ERROR frames the controller sent, and the first 100 of them (text cut to 200 characters). */
  errorCount: number;
  errorsReceived: string[];
  controllerBye: unknown;
  endedBy: 'bye' | 'disconnect' | 'shutdown' | 'protocol-error' | 'hello-timeout';
}

/** A synthetic robot with the Env surface the session uses. */
class SyntheticRobot {
  readonly id = 'synthetic';
  private readonly x: Float32Array;
  private readonly rng: Rng;
  constructor(
    readonly obsSize: number,
    readonly actionSize: number,
    seed: number,
  ) {
    this.x = new Float32Array(obsSize);
    this.rng = new Rng(seed);
  }
  reset(): Float32Array {
    for (let i = 0; i < this.x.length; i++) this.x[i] = 0.5 * this.rng.normal();
    return this.x;
  }
  step(action: ArrayLike<number>): { obs: Float32Array; reward: number; done: boolean } {
    for (let i = 0; i < this.x.length; i++) this.x[i] = Math.min(3, Math.max(-3, 0.99 * this.x[i]! + 0.1 * this.rng.normal()));
    this.x[0] = Math.min(3, Math.max(-3, this.x[0]! + 0.01 * (action[0] ?? 0)));
    return { obs: this.x, reward: 0, done: false };
  }
}

interface Session {
  socket: Socket;
  decoder: FrameDecoder;
  env: Env | null;
  synth: SyntheticRobot | null;
  envName: string;
  discreteN: number;
  obsSize: number;
  actionSize: number;
  helloDone: boolean;
  seq: number;
  action: Float32Array;
  lastActionNs: number;
  lastTick: number;
  /** Allocated at the handshake (4 MB): a connection that never completes one costs only its decoder. */
  interval: LatencyHistogram | null;
  helloTimer: ReturnType<typeof setTimeout> | null;
  actions: number;
  episodes: number;
  totalReward: number;
  episodeReturn: number;
  completedEpisodes: number;
  completedReturnSum: number;
  tickGaps: number;
  staleActions: number;
  badActions: number;
  badFrames: number;
  acksSent: number;
  framesNotSent: number;
  errorCount: number;
  errorsReceived: string[];
  controllerBye: unknown;
  ended: boolean;
}

export class SimRobot {
  private readonly server: Server;
  private readonly sessions = new Set<Session>();
  /** The latest sessions' summaries (at most MAX_SUMMARIES_KEPT). */
  readonly summaries: SessionSummary[] = [];
  private sessionWaiters: ((s: SessionSummary) => void)[] = [];
  private readonly seed: number;
  private readonly helloTimeoutMs: number;
  private readonly logs: LogThrottle;
  readonly address: string;

  constructor(private readonly opts: SimRobotOptions = {}) {
    this.seed = opts.seed ?? 0;
    if (opts.env !== undefined && opts.env !== 'synthetic' && !listEnvs().includes(opts.env)) {
      throw new ValueError(
        `sim-robot: --env ${JSON.stringify(opts.env)} is not a gmmrl environment; use one of ${listEnvs().join(', ')}, or synthetic.`,
      );
    }
    const helloS = opts.helloTimeoutS ?? 5;
    if (!(Number.isFinite(helloS) && helloS > 0))
      throw new ValueError(`sim-robot: --hello-timeout ${describeValue(helloS)}; expected a number of seconds > 0.`);
    this.helloTimeoutMs = helloS * 1000;
    const maxSessions = opts.maxSessions ?? 16;
    if (!(Number.isSafeInteger(maxSessions) && maxSessions >= 1))
      throw new ValueError(`sim-robot: --max-sessions ${describeValue(maxSessions)}; expected an integer ≥ 1.`);
    this.logs = new LogThrottle(opts.log, { burst: opts.logBurst, intervalMs: opts.logIntervalMs });
    this.server = createServer((s) => this.onConnection(s));
    this.server.maxConnections = maxSessions;
    this.address = opts.tcpPort !== undefined ? `tcp://${opts.tcpHost ?? '127.0.0.1'}:${opts.tcpPort}` : (opts.socket ?? DEFAULT_SOCKET);
  }

  /** Starts listening (removes a stale socket file first). */
  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      const ok = () => {
        this.server.off('error', reject);
        resolve();
      };
      if (this.opts.tcpPort !== undefined) this.server.listen(this.opts.tcpPort, this.opts.tcpHost ?? '127.0.0.1', ok);
      else {
        const path = this.opts.socket ?? DEFAULT_SOCKET;
        if (existsSync(path)) unlinkSync(path);
        this.server.listen(path, ok);
      }
    });
  }

  /** Resolves with the summary of the next session that ends. */
  nextSession(): Promise<SessionSummary> {
    return new Promise((r) => this.sessionWaiters.push(r));
  }

  /** Connections open now. */
  get openSessions(): number {
    return this.sessions.size;
  }

  /** BYE to every connected controller, then closes the server. */
  async close(): Promise<void> {
    for (const s of this.sessions) this.endSession(s, 'shutdown', true);
    this.logs.flush();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private log(kind: string, line: string): void {
    this.logs.log(kind, line);
  }

  private onConnection(socket: Socket): void {
    socket.setNoDelay?.(true);
    const s: Session = {
      socket,
      decoder: null as unknown as FrameDecoder,
      env: null,
      synth: null,
      envName: '',
      discreteN: 0,
      obsSize: 0,
      actionSize: 0,
      helloDone: false,
      seq: 0,
      action: new Float32Array(0),
      lastActionNs: 0,
      lastTick: -1,
      interval: null,
      helloTimer: null,
      actions: 0,
      episodes: 0,
      totalReward: 0,
      episodeReturn: 0,
      completedEpisodes: 0,
      completedReturnSum: 0,
      tickGaps: 0,
      staleActions: 0,
      badActions: 0,
      badFrames: 0,
      acksSent: 0,
      framesNotSent: 0,
      errorCount: 0,
      errorsReceived: [],
      controllerBye: null,
      ended: false,
    };
    s.decoder = new FrameDecoder(
      (type, seq, aux, buf, off, len) => this.onFrame(s, type, seq, aux, buf, off, len),
      (code, msg) => {
        s.badFrames++;
        this.log('sim-robot: protocol error', `sim-robot: protocol error: ${msg}`);
        this.send(s, encodeError(code, msg));
        this.endSession(s, 'protocol-error', false);
      },
    );
    this.sessions.add(s);
    s.helloTimer = setTimeout(() => {
      s.helloTimer = null;
      if (s.helloDone || s.ended) return;
      s.badFrames++;
      const msg = `no acceptable HELLO within ${this.helloTimeoutMs} ms of connecting; closing. A controller sends HELLO {"protocol":${VERSION},"role":"controller",…} first.`;
      this.log('sim-robot: hello timeout', `sim-robot: ${msg}`);
      this.send(s, encodeError(ErrorCode.BAD_HELLO, msg));
      this.endSession(s, 'hello-timeout', false);
    }, this.helloTimeoutMs);
    socket.on('data', (chunk) => s.decoder.push(chunk));
    socket.on('close', () => this.endSession(s, 'disconnect', false));
    socket.on('error', (err) => this.log('sim-robot: socket error', `sim-robot: socket error: ${err.message}`));
  }

  private send(s: Session, buf: Buffer): void {
    const so = s.socket;
    if (!so.destroyed && so.writable && so.writableLength <= SEND_BACKLOG_BYTES) so.write(buf);
    else s.framesNotSent++;
  }

  /** An ERROR reply for a refused frame (counted). */
  private refuse(s: Session, code: ErrorCode, message: string): void {
    s.badFrames++;
    this.send(s, encodeError(code, message));
  }

  /** ACK for `tick`, followed in the same write by an OBS when `obs` is given. */
  private ackAndObs(s: Session, tick: number, obs: ArrayLike<number> | null, reset: boolean): void {
    const buf = Buffer.allocUnsafe(ACK_BYTES + (obs ? floatFrameBytes(s.obsSize) : 0));
    encodeAck(buf, 0, tick);
    if (obs) encodeFloatFrame(buf.subarray(ACK_BYTES), FrameType.OBS, s.seq, reset ? OBS_FLAG_RESET : 0, obs);
    const before = s.framesNotSent;
    this.send(s, buf);
    if (s.framesNotSent === before) s.acksSent++;
  }

  private sendObs(s: Session, obs: ArrayLike<number>, reset: boolean): void {
    const buf = Buffer.allocUnsafe(floatFrameBytes(s.obsSize));
    encodeFloatFrame(buf, FrameType.OBS, s.seq, reset ? OBS_FLAG_RESET : 0, obs);
    this.send(s, buf);
  }

  private reset(s: Session): ArrayLike<number> {
    s.episodes++;
    if (s.synth) return s.synth.reset();
    return s.env!.reset(s.episodes === 1 ? { seed: this.seed } : undefined).obs;
  }

  /**
   * What is wrong with a controller HELLO, or null. Checked before anything is allocated for it: the
   * sizes must be positive integers one frame can carry (MAX_FLOATS float32), and match the
   * environment this robot simulates when it is a gmmrl one.
   */
  private helloProblem(h: unknown, want: (h: ControllerHello) => string): string | null {
    if (typeof h !== 'object' || h === null || Array.isArray(h)) return `the controller HELLO is ${describeValue(h)}, not a JSON object.`;
    const o = h as Record<string, unknown>;
    if (o.role !== 'controller') return `the controller HELLO has role ${describeValue(o.role)}; expected "controller".`;
    for (const key of ['obsSize', 'actionSize'] as const) {
      const v = o[key];
      if (!(typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 && v <= MAX_FLOATS))
        return `the controller HELLO has ${key} ${describeValue(v)}; expected an integer in 1…${MAX_FLOATS} (one frame carries at most ${MAX_FLOATS} float32).`;
    }
    if (o.actionKind !== undefined && o.actionKind !== 'discrete' && o.actionKind !== 'grid' && o.actionKind !== 'box')
      return `the controller HELLO has actionKind ${describeValue(o.actionKind)}; expected "discrete", "grid" or "box".`;
    if (o.actionKind === 'discrete' && o.actionSize !== 1)
      return `the controller HELLO has a discrete action of actionSize ${describeValue(o.actionSize)}; a discrete action is one index (actionSize 1).`;
    const ch = h as ControllerHello;
    const envId = want(ch);
    if (envId !== 'synthetic') {
      const env = make(envId, { seed: this.seed });
      const obsSize = flatSize(env.observationSpace);
      const actionSize = flatSize(env.actionSpace);
      if (ch.obsSize !== obsSize || ch.actionSize !== actionSize)
        return `the controller's model takes observations of ${ch.obsSize} and actions of ${ch.actionSize} entries; this robot simulates ${envId} (observations of ${obsSize}, actions of ${actionSize}). Use a model trained on ${envId}, or start the robot with --env synthetic.`;
    }
    return null;
  }

  private onHello(s: Session, text: string): void {
    let h: unknown;
    try {
      h = JSON.parse(text);
    } catch {
      return this.refuse(s, ErrorCode.BAD_HELLO, `the controller HELLO payload ${JSON.stringify(peerText(text, 80))} is not JSON.`);
    }
    const pick = (c: ControllerHello) => this.opts.env ?? (listEnvs().includes(c.envId) ? c.envId : 'synthetic');
    const problem = this.helloProblem(h, pick);
    if (problem !== null) {
      this.log('sim-robot: refused HELLO', `sim-robot: refused a HELLO: ${problem}`);
      return this.refuse(s, ErrorCode.BAD_HELLO, problem);
    }
    const c = h as ControllerHello;
    const want = pick(c);
    if (want === 'synthetic') {
      s.synth = new SyntheticRobot(c.obsSize, c.actionSize, this.seed);
      s.envName = 'synthetic';
      s.obsSize = c.obsSize;
      s.actionSize = c.actionSize;
      if (this.opts.env === undefined)
        this.log(
          'sim-robot: synthetic',
          `sim-robot: ${JSON.stringify(peerText(String(c.envId)))} is not a gmmrl environment; simulating a synthetic robot of that size`,
        );
    } else {
      const env = make(want, { seed: this.seed });
      s.env = env;
      s.envName = want;
      s.obsSize = flatSize(env.observationSpace);
      s.actionSize = flatSize(env.actionSpace);
      s.discreteN = env.actionSpace.kind === 'discrete' ? env.actionSpace.n : 0;
    }
    s.action = new Float32Array(s.actionSize);
    s.interval = new LatencyHistogram(100, 100_000_000);
    if (s.helloTimer) clearTimeout(s.helloTimer);
    s.helloTimer = null;
    const reply: RobotHello = {
      protocol: VERSION,
      role: 'robot',
      name: `sim-robot ${s.envName}`,
      obsSize: s.obsSize,
      actionSize: s.actionSize,
    };
    this.send(s, encodeJson(FrameType.HELLO, reply));
    s.helloDone = true;
    this.log(
      'sim-robot: connected',
      `sim-robot: controller connected (${peerText(String(c.family), 40)} for ${peerText(String(c.envId), 80)}, ${peerText(String(c.rateHz), 20)} Hz); simulating ${s.envName}`,
    );
    this.sendObs(s, this.reset(s), true);
  }

  private onAction(s: Session, tick: number, obsSeq: number, buf: Buffer, off: number, len: number): void {
    // the ACTION has been read: acknowledge it whatever its content, so the controller may send the next
    const refuse = (message: string) => {
      s.badActions++;
      this.ackAndObs(s, tick, null, false);
      this.refuse(s, ErrorCode.BAD_ACTION, message);
    };
    if (len !== 4 * s.actionSize)
      return refuse(`ACTION tick ${tick} has ${len / 4} float32 values; this robot takes ${s.actionSize}. Not applied.`);
    for (let i = 0; i < s.actionSize; i++) {
      const v = buf.readFloatLE(off + 4 * i);
      if (v - v !== 0) return refuse(`ACTION tick ${tick}: action[${i}] is ${v}; not applied.`);
      s.action[i] = v;
    }
    if (s.discreteN > 0 && !(Number.isInteger(s.action[0]) && s.action[0]! >= 0 && s.action[0]! < s.discreteN))
      return refuse(`ACTION tick ${tick}: discrete action ${s.action[0]} is not an index in 0…${s.discreteN - 1}; not applied.`);
    const now = performance.now() * 1e6;
    if (s.lastActionNs > 0) s.interval!.record(now - s.lastActionNs);
    s.lastActionNs = now;
    if (s.lastTick >= 0 && tick > s.lastTick + 1) s.tickGaps += tick - s.lastTick - 1;
    s.lastTick = tick;
    if (obsSeq < s.seq) s.staleActions++;
    s.actions++;
    s.seq++;
    if (s.synth) return this.ackAndObs(s, tick, s.synth.step(s.action).obs, false);
    const r = s.env!.step(s.discreteN > 0 ? s.action[0]! : s.action);
    s.totalReward += r.reward;
    s.episodeReturn += r.reward;
    if (r.terminated || r.truncated) {
      s.completedEpisodes++;
      s.completedReturnSum += s.episodeReturn;
      s.episodeReturn = 0;
      this.ackAndObs(s, tick, this.reset(s), true);
    } else this.ackAndObs(s, tick, r.obs, false);
  }

  private onFrame(s: Session, type: number, seq: number, aux: number, buf: Buffer, off: number, len: number): void {
    if (s.ended) return;
    switch (type) {
      case FrameType.HELLO:
        if (s.helloDone) return this.refuse(s, ErrorCode.UNEXPECTED_TYPE, 'a second HELLO on the same connection.');
        return this.onHello(s, payloadText(buf, off, len));
      case FrameType.ACTION:
        if (!s.helloDone) return this.refuse(s, ErrorCode.UNEXPECTED_TYPE, 'ACTION before HELLO.');
        return this.onAction(s, seq, aux, buf, off, len);
      case FrameType.BYE: {
        const text = payloadText(buf, off, len);
        try {
          s.controllerBye = text ? JSON.parse(text) : null;
        } catch {
          s.controllerBye = peerText(text);
        }
        return this.endSession(s, 'bye', false);
      }
      case FrameType.ERROR: {
        const text = `${ERROR_CODE_NAMES[aux] ?? `code ${aux}`}: ${peerText(payloadText(buf, off, Math.min(len, 4096)))}`;
        s.errorCount++;
        if (s.errorsReceived.length < MAX_ERRORS_KEPT) s.errorsReceived.push(text);
        this.log('sim-robot: the controller reports', `sim-robot: the controller reports ${text}`);
        return;
      }
      default:
        this.refuse(
          s,
          ErrorCode.UNEXPECTED_TYPE,
          `${FRAME_TYPE_NAMES[type] ?? `frame type ${type}`} sent to the robot; a controller sends HELLO, ACTION, ERROR and BYE.`,
        );
    }
  }

  private endSession(s: Session, how: SessionSummary['endedBy'], sayBye: boolean): void {
    if (s.ended) return;
    s.ended = true;
    if (s.helloTimer) clearTimeout(s.helloTimer);
    s.helloTimer = null;
    this.sessions.delete(s);
    const summary: SessionSummary = {
      event: 'session',
      env: s.envName,
      actions: s.actions,
      episodes: s.episodes,
      totalReward: s.totalReward,
      completedEpisodes: s.completedEpisodes,
      meanEpisodeReturn: s.completedEpisodes > 0 ? s.completedReturnSum / s.completedEpisodes : null,
      interval: (s.interval ?? new LatencyHistogram(100, 100)).summaryUs(),
      tickGaps: s.tickGaps,
      staleActions: s.staleActions,
      badActions: s.badActions,
      badFrames: s.badFrames,
      acksSent: s.acksSent,
      framesNotSent: s.framesNotSent,
      errorCount: s.errorCount,
      errorsReceived: s.errorsReceived,
      controllerBye: s.controllerBye,
      endedBy: how,
    };
    if (sayBye) this.send(s, encodeJson(FrameType.BYE, { reason: how }));
    s.socket.end();
    // a peer that does not read would keep the socket open after end(): do not wait for it
    if (how !== 'bye' && how !== 'disconnect') setTimeout(() => s.socket.destroy(), 1000).unref();
    this.summaries.push(summary);
    if (this.summaries.length > MAX_SUMMARIES_KEPT) this.summaries.shift();
    const waiters = this.sessionWaiters;
    this.sessionWaiters = [];
    for (const w of waiters) w(summary);
  }
}

export const SIM_FLAGS: FlagSpecs = {
  socket: { type: 'string', help: 'Unix domain socket path to listen on', default: DEFAULT_SOCKET },
  tcp: { type: 'int', help: 'listen on this TCP port of 127.0.0.1 instead' },
  env: { type: 'string', help: `environment to simulate (${'gmmrl/envs id, or synthetic'}); default: the model's env` },
  seed: { type: 'int', help: 'seed of the environment', default: 0 },
  'hello-timeout': { type: 'number', help: 'seconds a connection may take to send an acceptable HELLO', default: 5 },
  'max-sessions': { type: 'int', help: 'most connections open at once', default: 16 },
  once: { type: 'boolean', help: 'exit after the first session', default: false },
  quiet: { type: 'boolean', help: 'no progress lines on stderr', default: false },
  help: { type: 'boolean', help: 'print this help', default: false },
};

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const usage = 'node dist/examples/robot-loop/sim-robot.js [flags]';
  const flags = parseMainFlags('robot-loop sim-robot', usage, argv, SIM_FLAGS);
  if (typeof flags === 'number') return flags;
  let robot: SimRobot;
  try {
    robot = new SimRobot({
      socket: flags.socket as string,
      tcpPort: flags.tcp as number | undefined,
      env: flags.env as string | undefined,
      seed: flags.seed as number,
      helloTimeoutS: flags['hello-timeout'] as number,
      maxSessions: flags['max-sessions'] as number,
      log: flags.quiet ? undefined : (l) => console.error(l),
    });
    await robot.listen();
  } catch (err) {
    console.error(`sim-robot: ${(err as Error).message}`);
    return 1;
  }
  console.log(JSON.stringify({ event: 'listening', address: robot.address, pid: process.pid }));
  let closing = false;
  const shutdown = async (sig: string) => {
    if (closing) return;
    closing = true;
    if (!flags.quiet) console.error(`sim-robot: ${sig}, closing`);
    await robot.close();
  };
  return new Promise<number>((resolve) => {
    process.on('SIGINT', () => void shutdown('SIGINT').then(() => resolve(0)));
    process.on('SIGTERM', () => void shutdown('SIGTERM').then(() => resolve(0)));
    const loop = async () => {
      for (;;) {
        const s = await robot.nextSession();
        console.log(JSON.stringify(s));
        if (flags.once && !closing) {
          closing = true;
          await robot.close();
          return resolve(0);
        }
      }
    };
    void loop();
  });
}

// nothing else keeps the process alive once the server is closed
runAsScript(import.meta.url, main);
