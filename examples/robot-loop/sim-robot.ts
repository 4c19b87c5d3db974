/**
 * A simulated robot for the robot-loop example: a server on a Unix domain socket (or TCP) that
 * speaks protocol.ts. It stands in for a real robot's bridge process: it streams observations and
 * applies the actions it receives.
 *
 *   node dist/examples/robot-loop/sim-robot.js [--socket /tmp/gmmrl-robot.sock | --tcp 7777] [--env Pendulum-v1] [--seed 0] [--once]
 *
 * Session: the controller connects and sends HELLO (family, envId, sizes, rate). The robot builds the
 * environment — `--env`, else the model's envId when gmmrl/envs knows it, else a synthetic robot —
 * answers HELLO with its own observation and action sizes (the controller refuses a mismatch), then
 * sends OBS seq 0 (flag reset). Every ACTION is checked (size, finite values, a discrete index in
 * range), applied with env.step (one step per action: the simulation advances by one environment
 * step per control tick, whatever the environment's own dt), and answered at once with the next OBS;
 * an episode that ends is reset and its first observation carries the reset flag. A bad ACTION gets
 * an ERROR reply and is not applied. BYE from the controller ends the session.
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
import { Rng, ValueError } from 'gmmrl/runtime';
import { parseMainFlags, runAsScript, type FlagSpecs } from './flags.js';
import { LatencyHistogram } from './histogram.js';
import {
  DEFAULT_SOCKET,
  ERROR_CODE_NAMES,
  ErrorCode,
  FRAME_TYPE_NAMES,
  FrameDecoder,
  FrameType,
  OBS_FLAG_RESET,
  encodeError,
  encodeFloatFrame,
  encodeJson,
  floatFrameBytes,
  payloadText,
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
  log?: (line: string) => void;
}

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
  interval: ReturnType<LatencyHistogram['summaryUs']>;
  /** Actions computed from an observation older than the newest one the robot had sent (ACTION aux < newest OBS seq). */
  staleActions: number;
  /** Controller ticks that never arrived (gaps in the ACTION seq). */
  tickGaps: number;
  badActions: number;
  errorsReceived: string[];
  controllerBye: unknown;
  endedBy: 'bye' | 'disconnect' | 'shutdown' | 'protocol-error';
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
  interval: LatencyHistogram;
  actions: number;
  episodes: number;
  totalReward: number;
  episodeReturn: number;
  completedEpisodes: number;
  completedReturnSum: number;
  tickGaps: number;
  staleActions: number;
  badActions: number;
  errorsReceived: string[];
  controllerBye: unknown;
  ended: boolean;
}

export class SimRobot {
  private readonly server: Server;
  private readonly sessions = new Set<Session>();
  readonly summaries: SessionSummary[] = [];
  private sessionWaiters: ((s: SessionSummary) => void)[] = [];
  private readonly seed: number;
  readonly address: string;

  constructor(private readonly opts: SimRobotOptions = {}) {
    this.seed = opts.seed ?? 0;
    if (opts.env !== undefined && opts.env !== 'synthetic' && !listEnvs().includes(opts.env)) {
      throw new ValueError(
        `sim-robot: --env ${JSON.stringify(opts.env)} is not a gmmrl environment; use one of ${listEnvs().join(', ')}, or synthetic.`,
      );
    }
    this.server = createServer((s) => this.onConnection(s));
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

  /** BYE to every connected controller, then closes the server. */
  async close(): Promise<void> {
    for (const s of this.sessions) this.endSession(s, 'shutdown', true);
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private log(line: string): void {
    this.opts.log?.(line);
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
      interval: new LatencyHistogram(100, 100_000_000),
      actions: 0,
      episodes: 0,
      totalReward: 0,
      episodeReturn: 0,
      completedEpisodes: 0,
      completedReturnSum: 0,
      tickGaps: 0,
      staleActions: 0,
      badActions: 0,
      errorsReceived: [],
      controllerBye: null,
      ended: false,
    };
    s.decoder = new FrameDecoder(
      (type, seq, aux, buf, off, len) => this.onFrame(s, type, seq, aux, buf, off, len),
      (code, msg) => {
        this.send(s, encodeError(code, msg));
        this.endSession(s, 'protocol-error', false);
      },
    );
    this.sessions.add(s);
    socket.on('data', (chunk) => s.decoder.push(chunk));
    socket.on('close', () => this.endSession(s, 'disconnect', false));
    socket.on('error', (err) => this.log(`sim-robot: socket error: ${err.message}`));
  }

  private send(s: Session, buf: Buffer): void {
    if (!s.socket.destroyed && s.socket.writable) s.socket.write(buf);
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

  private onHello(s: Session, text: string): void {
    let h: ControllerHello;
    try {
      h = JSON.parse(text) as ControllerHello;
    } catch {
      return this.send(s, encodeError(ErrorCode.BAD_HELLO, 'the controller HELLO payload is not JSON.'));
    }
    if (
      typeof h !== 'object' ||
      h === null ||
      h.role !== 'controller' ||
      !Number.isSafeInteger(h.obsSize) ||
      !Number.isSafeInteger(h.actionSize) ||
      h.actionSize < 1 ||
      h.obsSize < 1
    ) {
      return this.send(
        s,
        encodeError(
          ErrorCode.BAD_HELLO,
          `the controller HELLO ${text.slice(0, 200)} lacks role "controller" or positive integer obsSize/actionSize.`,
        ),
      );
    }
    const want = this.opts.env ?? (listEnvs().includes(h.envId) ? h.envId : 'synthetic');
    if (want === 'synthetic') {
      s.synth = new SyntheticRobot(h.obsSize, h.actionSize, this.seed);
      s.envName = 'synthetic';
      s.obsSize = h.obsSize;
      s.actionSize = h.actionSize;
      if (this.opts.env === undefined)
        this.log(`sim-robot: ${JSON.stringify(h.envId)} is not a gmmrl environment; simulating a synthetic robot of that size`);
    } else {
      const env = make(want, { seed: this.seed });
      s.env = env;
      s.envName = want;
      s.obsSize = flatSize(env.observationSpace);
      s.actionSize = flatSize(env.actionSpace);
      s.discreteN = env.actionSpace.kind === 'discrete' ? env.actionSpace.n : 0;
    }
    s.action = new Float32Array(s.actionSize);
    const reply: RobotHello = { protocol: 1, role: 'robot', name: `sim-robot ${s.envName}`, obsSize: s.obsSize, actionSize: s.actionSize };
    this.send(s, encodeJson(FrameType.HELLO, reply));
    s.helloDone = true;
    this.log(`sim-robot: controller connected (${h.family} for ${h.envId}, ${h.rateHz} Hz); simulating ${s.envName}`);
    this.sendObs(s, this.reset(s), true);
  }

  private onAction(s: Session, tick: number, obsSeq: number, buf: Buffer, off: number, len: number): void {
    if (len !== 4 * s.actionSize) {
      s.badActions++;
      return this.send(
        s,
        encodeError(
          ErrorCode.BAD_ACTION,
          `ACTION tick ${tick} has ${len / 4} float32 values; this robot takes ${s.actionSize}. Not applied.`,
        ),
      );
    }
    for (let i = 0; i < s.actionSize; i++) {
      const v = buf.readFloatLE(off + 4 * i);
      if (v - v !== 0) {
        s.badActions++;
        return this.send(s, encodeError(ErrorCode.BAD_ACTION, `ACTION tick ${tick}: action[${i}] is ${v}; not applied.`));
      }
      s.action[i] = v;
    }
    if (s.discreteN > 0 && !(Number.isInteger(s.action[0]) && s.action[0]! >= 0 && s.action[0]! < s.discreteN)) {
      s.badActions++;
      return this.send(
        s,
        encodeError(
          ErrorCode.BAD_ACTION,
          `ACTION tick ${tick}: discrete action ${s.action[0]} is not an index in 0…${s.discreteN - 1}; not applied.`,
        ),
      );
    }
    const now = performance.now() * 1e6;
    if (s.lastActionNs > 0) s.interval.record(now - s.lastActionNs);
    s.lastActionNs = now;
    if (s.lastTick >= 0 && tick > s.lastTick + 1) s.tickGaps += tick - s.lastTick - 1;
    s.lastTick = tick;
    if (obsSeq < s.seq) s.staleActions++;
    s.actions++;
    s.seq++;
    if (s.synth) {
      this.sendObs(s, s.synth.step(s.action).obs, false);
      return;
    }
    const r = s.env!.step(s.discreteN > 0 ? s.action[0]! : s.action);
    s.totalReward += r.reward;
    s.episodeReturn += r.reward;
    if (r.terminated || r.truncated) {
      s.completedEpisodes++;
      s.completedReturnSum += s.episodeReturn;
      s.episodeReturn = 0;
      this.sendObs(s, this.reset(s), true);
    } else this.sendObs(s, r.obs, false);
  }

  private onFrame(s: Session, type: number, seq: number, aux: number, buf: Buffer, off: number, len: number): void {
    if (s.ended) return;
    switch (type) {
      case FrameType.HELLO:
        if (s.helloDone) return this.send(s, encodeError(ErrorCode.UNEXPECTED_TYPE, 'a second HELLO on the same connection.'));
        return this.onHello(s, payloadText(buf, off, len));
      case FrameType.ACTION:
        if (!s.helloDone) return this.send(s, encodeError(ErrorCode.UNEXPECTED_TYPE, 'ACTION before HELLO.'));
        return this.onAction(s, seq, aux, buf, off, len);
      case FrameType.BYE: {
        const text = payloadText(buf, off, len);
        try {
          s.controllerBye = text ? JSON.parse(text) : null;
        } catch {
          s.controllerBye = text;
        }
        return this.endSession(s, 'bye', false);
      }
      case FrameType.ERROR: {
        const text = `${ERROR_CODE_NAMES[aux] ?? `code ${aux}`}: ${payloadText(buf, off, len)}`;
        if (s.errorsReceived.length < 100) s.errorsReceived.push(text);
        this.log(`sim-robot: the controller reports ${text}`);
        return;
      }
      default:
        this.send(
          s,
          encodeError(
            ErrorCode.UNEXPECTED_TYPE,
            `${FRAME_TYPE_NAMES[type] ?? `frame type ${type}`} sent to the robot; a controller sends HELLO, ACTION, ERROR and BYE.`,
          ),
        );
    }
  }

  private endSession(s: Session, how: SessionSummary['endedBy'], sayBye: boolean): void {
    if (s.ended) return;
    s.ended = true;
    this.sessions.delete(s);
    const summary: SessionSummary = {
      event: 'session',
      env: s.envName,
      actions: s.actions,
      episodes: s.episodes,
      totalReward: s.totalReward,
      completedEpisodes: s.completedEpisodes,
      meanEpisodeReturn: s.completedEpisodes > 0 ? s.completedReturnSum / s.completedEpisodes : null,
      interval: s.interval.summaryUs(),
      tickGaps: s.tickGaps,
      staleActions: s.staleActions,
      badActions: s.badActions,
      errorsReceived: s.errorsReceived,
      controllerBye: s.controllerBye,
      endedBy: how,
    };
    if (sayBye) this.send(s, encodeJson(FrameType.BYE, { reason: how }));
    s.socket.end();
    this.summaries.push(summary);
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
