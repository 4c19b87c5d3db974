/**
 * Hostile-peer fuzz of the robot loop, seeded: hostile robots against the controller and hostile
 * controllers against the simulated robot, over real Unix sockets on this machine.
 *
 *   node dist/examples/robot-loop/fuzz.js [--cases 2000] [--seed 1] [--family gmmqf]
 *
 * Each case picks one behaviour — random bytes, malformed frames of a valid layout, frames cut short
 * and the connection closed, an oversized length, a peer that dribbles bytes (slowloris), a peer
 * that half-closes, rapid connect/disconnect, silence, bad HELLOs — and checks that the side under
 * test neither crashes nor hangs (each case has a time bound), that it counts every frame it refused
 * (when the case knows how many it sent), that its failures are gmmrl's typed errors, and that it
 * still serves a good peer afterwards: after a robot's bad frames the controller answers a good
 * observation with an action; after each hostile controller a real Controller runs a session of 5
 * actions against the same sim robot. Prints one JSON line of counts (cases, crashes, hangs, untyped
 * errors, count mismatches, good sessions after); exits 1 when any is not 0.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GmmrlError, Rng, type Policy } from 'gmmrl/runtime';
import { Controller, loadControllerPolicy, type ControllerSummary, type StopReason } from './controller.js';
import { parseMainFlags, runAsScript } from './flags.js';
import {
  ACK_BYTES,
  FrameDecoder,
  FrameType,
  HEADER_BYTES,
  MAX_FLOATS,
  MAX_PAYLOAD,
  encodeAck,
  encodeError,
  encodeFloatFrame,
  encodeJson,
  encodeScalarAction,
  floatFrameBytes,
  writeHeader,
  type ErrorCode,
} from './protocol.js';
import { SimRobot, type SessionSummary } from './sim-robot.js';

export interface FuzzOptions {
  cases: number;
  seed: number;
  /** A loaded policy (the caller keeps it) of a model the synthetic robot can stand in for. */
  policy: Policy;
  /** Folder for the sockets (default: a fresh temporary one). */
  dir?: string;
  /** Bound on one case in ms (default 10 000): a case still running then is a hang. */
  caseTimeoutMs?: number;
}

export interface FuzzReport {
  cases: number;
  /** Cases per behaviour, "robot:…" against the controller, "controller:…" against the sim robot. */
  byKind: Record<string, number>;
  /** Uncaught exceptions and unhandled rejections during the fuzz. */
  crashes: number;
  /** Cases that did not finish within caseTimeoutMs. */
  hangs: number;
  /** Failures that were not gmmrl's typed errors (a start() rejection, a summary error naming a JavaScript error). */
  untypedErrors: number;
  /** Cases whose side under test counted a different number of refused frames than were sent, or ended otherwise than the case allows. */
  mismatches: number;
  /** Refused frames the fuzz sent (in cases that know the number), and the number counted by the side under test. */
  refusedSent: number;
  refusedCounted: number;
  /** Good sessions (a good observation answered, or a real Controller's 5 actions) after a hostile case. */
  goodAfter: number;
  /** The first problems, described. */
  problems: string[];
}

const UNTYPED = /\b(TypeError|RangeError|ReferenceError|SyntaxError|InternalError)\b/;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves with `p`, or with `timeout` after `ms`. */
function within<T>(p: Promise<T>, ms: number, timeout: T): Promise<T> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(timeout), ms);
    t.unref();
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      () => (clearTimeout(t), resolve(timeout)),
    );
  });
}

/**
 * Writes `buf` in random pieces of 1…maxPiece bytes. `slow`: an event-loop turn after each piece (so
 * each arrives in a read of its own) and now and then a pause of a few ms (slowloris).
 */
async function dribble(s: Socket, buf: Buffer, rng: Rng, maxPiece: number, slow: boolean): Promise<void> {
  for (let at = 0; at < buf.length && !s.destroyed;) {
    const n = 1 + rng.integer(maxPiece);
    s.write(buf.subarray(at, at + n));
    at += n;
    if (slow) await (rng.integer(16) === 0 ? sleep(2) : new Promise((r) => setImmediate(r)));
  }
}

function obsFrame(seq: number, values: ArrayLike<number>): Buffer {
  const b = Buffer.alloc(floatFrameBytes(values.length));
  encodeFloatFrame(b, FrameType.OBS, seq, 0, values);
  return b;
}

function header(type: number, seq: number, aux: number, length: number, version = 2): Buffer {
  const b = Buffer.alloc(HEADER_BYTES);
  writeHeader(b, 0, type as FrameType, seq, aux, length);
  b.writeUInt8(version, 2);
  return b;
}

function randomBytes(rng: Rng, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rng.integer(256);
  // never the magic by chance: the case is "a peer that does not speak the protocol"
  if (b[0] === 0x47 && b[1] === 0x4d) b[0] = 0;
  return b;
}

/** Frames a robot may not send, each refused with one ERROR; the controller keeps serving. */
function badRobotFrame(rng: Rng, D: number): Buffer {
  switch (rng.integer(8)) {
    case 0:
      return obsFrame(1, new Float32Array(D + 1 + rng.integer(5)));
    case 1:
      return obsFrame(1, new Float32Array(Math.max(0, D - 1 - rng.integer(Math.max(1, D - 1)))));
    case 2: {
      const v = new Float32Array(D);
      v[rng.integer(D)] = [NaN, Infinity, -Infinity][rng.integer(3)]!;
      return obsFrame(1, v);
    }
    case 3:
      return Buffer.concat([header(7 + rng.integer(249), rng.integer(1000), 0, 4), Buffer.alloc(4)]);
    case 4: {
      const b = Buffer.alloc(floatFrameBytes(1));
      encodeScalarAction(b, 0, 0, 1);
      return b;
    }
    case 5: {
      const b = Buffer.alloc(ACK_BYTES);
      encodeAck(b, 0, 0xffffffff); // never a tick of this run
      return b;
    }
    case 6:
      return encodeJson(FrameType.HELLO, { protocol: 2, role: 'robot', name: 'again', obsSize: D, actionSize: 1 });
    default:
      return Buffer.concat([header(FrameType.ACK, 0, 0, 3), Buffer.alloc(3)]); // an ACK with a payload
  }
}

function badHello(rng: Rng, D: number): Buffer {
  const variants: (() => Buffer)[] = [
    () => Buffer.concat([header(FrameType.HELLO, 0, 0, 5), Buffer.from('{"ro"')]),
    () => encodeJson(FrameType.HELLO, { role: 'controller', obsSize: D, actionSize: 1 }),
    () => encodeJson(FrameType.HELLO, { role: 'robot', name: 'big', obsSize: 1e9, actionSize: 1 }),
    () => encodeJson(FrameType.HELLO, { role: 'robot', name: 'neg', obsSize: -D, actionSize: 1 }),
    () => encodeJson(FrameType.HELLO, { role: 'robot', name: 'str', obsSize: String(D), actionSize: '1' }),
    () => encodeJson(FrameType.HELLO, [1, 2, 3]),
    () => encodeJson(FrameType.HELLO, { role: 'robot', name: 'n'.repeat(60000), obsSize: D + 1, actionSize: 1 }),
    () => encodeError(7, 'this robot refuses you \u001b[2J'),
  ];
  return variants[rng.integer(variants.length)]!();
}

const ROBOT_KINDS = [
  'random-bytes',
  'bad-frames',
  'truncated',
  'oversized',
  'slowloris',
  'half-open',
  'disconnect',
  'silent',
  'bad-hello',
] as const;
const CONTROLLER_KINDS = [
  'random-bytes',
  'bad-frames',
  'truncated',
  'oversized',
  'slowloris',
  'half-open',
  'rapid-connect',
  'no-read-flood',
] as const;

/** Runs the fuzz; never throws for what a case does (every outcome is counted in the report). */
export async function fuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const rng = new Rng(opts.seed);
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'gmmrl-robot-fuzz-'));
  const ownsDir = opts.dir === undefined;
  const bound = opts.caseTimeoutMs ?? 10_000;
  const D = opts.policy.info.observationSize;
  const A = opts.policy.info.actionSize;
  const report: FuzzReport = {
    cases: 0,
    byKind: {},
    crashes: 0,
    hangs: 0,
    untypedErrors: 0,
    mismatches: 0,
    refusedSent: 0,
    refusedCounted: 0,
    goodAfter: 0,
    problems: [],
  };
  const problem = (what: string) => {
    if (report.problems.length < 20) report.problems.push(what);
  };
  const onCrash = (e: unknown) => {
    report.crashes++;
    problem(`crash: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);

  const sim = new SimRobot({ socket: join(dir, 'sim.sock'), seed: opts.seed, helloTimeoutS: 0.5 });
  await sim.listen();
  try {
    for (let i = 0; i < opts.cases; i++) {
      const robotSide = i % 2 === 0;
      const kind = robotSide ? ROBOT_KINDS[rng.integer(ROBOT_KINDS.length)]! : CONTROLLER_KINDS[rng.integer(CONTROLLER_KINDS.length)]!;
      const name = `${robotSide ? 'robot' : 'controller'}:${kind}`;
      report.cases++;
      report.byKind[name] = (report.byKind[name] ?? 0) + 1;
      const caseRng = new Rng(rng.nextSeed());
      const tag = `case ${i} (${name})`;
      const outcome = robotSide
        ? await within(
            hostileRobot(kind as (typeof ROBOT_KINDS)[number], caseRng, join(dir, `r${i % 8}.sock`), opts.policy, D),
            bound,
            null,
          )
        : await within(
            hostileController(kind as (typeof CONTROLLER_KINDS)[number], caseRng, sim, join(dir, 'sim.sock'), D, A),
            bound,
            null,
          );
      if (outcome === null) {
        report.hangs++;
        problem(`${tag}: no result within ${bound} ms`);
        continue;
      }
      if (outcome.untyped) {
        report.untypedErrors++;
        problem(`${tag}: ${outcome.untyped}`);
      }
      if (outcome.mismatch) {
        report.mismatches++;
        problem(`${tag}: ${outcome.mismatch}`);
      }
      if (outcome.refusedSent !== undefined) {
        report.refusedSent += outcome.refusedSent;
        report.refusedCounted += outcome.refusedCounted ?? 0;
      }
      // the side under test still serves a good peer
      const good = robotSide ? outcome.goodServed : await within(goodSession(sim, join(dir, 'sim.sock'), opts.policy), bound, 'hang');
      if (good === true) report.goodAfter++;
      else {
        report.mismatches++;
        problem(`${tag}: the good peer afterwards was not served (${good === 'hang' ? 'no result in time' : String(good)})`);
      }
    }
  } finally {
    await sim.close();
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
    if (ownsDir) rmSync(dir, { recursive: true, force: true });
  }
  return report;
}

interface CaseOutcome {
  untyped?: string;
  mismatch?: string;
  refusedSent?: number;
  refusedCounted?: number;
  /** Robot cases: the controller served a good observation afterwards (or the case ends the session by design). */
  goodServed?: boolean | string;
}

/** Stop reasons each hostile robot may lead to. */
const ROBOT_ENDS: Record<(typeof ROBOT_KINDS)[number], readonly StopReason[]> = {
  'random-bytes': ['protocol-error'],
  'bad-frames': ['stop'],
  truncated: ['robot-disconnected'],
  oversized: ['protocol-error'],
  slowloris: ['stop'],
  'half-open': ['robot-disconnected'],
  disconnect: ['robot-disconnected'],
  silent: ['handshake-failed'],
  'bad-hello': ['handshake-failed'],
};

/** One hostile robot against a real Controller. */
async function hostileRobot(kind: (typeof ROBOT_KINDS)[number], rng: Rng, path: string, policy: Policy, D: number): Promise<CaseOutcome> {
  let actions = 0;
  let helloSeen = false;
  let sock: Socket | null = null;
  const server = createServer((s) => {
    sock = s;
    s.on('error', () => undefined);
    if (kind === 'disconnect' && rng.integer(2) === 0) return void s.destroy();
    const dec = new FrameDecoder(
      (type, seq) => {
        if (type === FrameType.HELLO) helloSeen = true;
        if (type === FrameType.ACTION) {
          actions++;
          const ack = Buffer.alloc(ACK_BYTES);
          encodeAck(ack, 0, seq);
          if (!s.destroyed) s.write(ack);
        }
      },
      () => undefined,
    );
    s.on('data', (d) => dec.push(d));
  });
  await new Promise<void>((r) => server.listen(path, r));
  const c = new Controller({
    policy,
    socket: path,
    rateHz: 0,
    warmup: 1,
    helloTimeoutS: kind === 'silent' ? 0.05 : 5,
    silenceMs: 0,
    connectTimeoutS: 2,
  });
  const started = c.start().then(
    () => null,
    (e: unknown) => e,
  );
  const out: CaseOutcome = { goodServed: true };
  const hello = encodeJson(FrameType.HELLO, { protocol: 2, role: 'robot', name: 'fuzz', obsSize: D, actionSize: policy.info.actionSize });
  const first = obsFrame(0, new Float32Array(D));
  const wait = async (pred: () => boolean, ms = 3000) => {
    const t0 = Date.now();
    while (!pred() && Date.now() - t0 < ms) await sleep(1);
    return pred();
  };
  try {
    await wait(() => sock !== null && (helloSeen || (sock as Socket).destroyed));
    const s = sock as Socket | null;
    if (s && !s.destroyed) {
      switch (kind) {
        case 'random-bytes':
          if (rng.integer(2) === 0) s.write(Buffer.concat([hello, first]));
          s.write(randomBytes(rng, HEADER_BYTES + rng.integer(512))); // at least a header: shorter is the truncated case
          out.refusedSent = 1;
          break;
        case 'bad-frames': {
          s.write(Buffer.concat([hello, first]));
          await wait(() => actions >= 1);
          const n = 1 + rng.integer(12);
          const frames: Buffer[] = [];
          for (let k = 0; k < n; k++) frames.push(badRobotFrame(rng, D));
          // the robot's own ERROR frames are not refused, only recorded
          for (let k = 0; k < rng.integer(3); k++)
            frames.push(encodeError((1 + rng.integer(10)) as ErrorCode, 'e'.repeat(rng.integer(MAX_PAYLOAD))));
          await dribble(s, Buffer.concat(frames), rng, 1 + rng.integer(4096), false);
          out.refusedSent = n;
          s.write(obsFrame(2, new Float32Array(D).fill(0.25)));
          out.goodServed = (await wait(() => actions >= 2)) || 'no ACTION for the good observation after the bad frames';
          break;
        }
        case 'truncated': {
          s.write(Buffer.concat([hello, first]));
          await wait(() => actions >= 1);
          const f = obsFrame(1, new Float32Array(D));
          s.write(f.subarray(0, 1 + rng.integer(f.length - 1)));
          s.end();
          out.refusedSent = 0;
          break;
        }
        case 'oversized':
          s.write(Buffer.concat([hello, header(FrameType.OBS, 1, 0, MAX_PAYLOAD + 1 + rng.integer(1e9))]));
          out.refusedSent = 1;
          break;
        case 'slowloris':
          await dribble(s, Buffer.concat([hello, first]), rng, 3, true);
          out.goodServed = (await wait(() => actions >= 1)) || 'no ACTION for an observation sent byte by byte';
          out.refusedSent = 0;
          break;
        case 'half-open':
          s.write(Buffer.concat([hello, first]));
          await wait(() => actions >= 1);
          s.end();
          break;
        case 'disconnect':
          if (rng.integer(2) === 0) s.write(hello);
          s.destroy();
          break;
        case 'silent':
          break; // never a HELLO: the controller's hello timeout ends it
        case 'bad-hello':
          s.write(badHello(rng, D));
          break;
      }
    }
    if (kind === 'bad-frames' || kind === 'slowloris') c.stop();
    const failure = await started;
    if (failure !== null && !(failure instanceof GmmrlError)) out.untyped = `start() rejected with ${String(failure)}`;
    const summary: ControllerSummary = await c.done;
    if (summary.error && UNTYPED.test(summary.error)) out.untyped = `summary error ${summary.error}`;
    if (!ROBOT_ENDS[kind].includes(summary.stopReason))
      out.mismatch = `stopped with ${summary.stopReason} (${summary.error ?? ''}); expected ${ROBOT_ENDS[kind].join(' or ')}`;
    if (out.refusedSent !== undefined) {
      out.refusedCounted = summary.badFramesReceived;
      if (summary.badFramesReceived !== out.refusedSent)
        out.mismatch ??= `the controller counted ${summary.badFramesReceived} refused frames; the robot sent ${out.refusedSent}`;
    }
  } finally {
    c.stop();
    await c.done;
    (sock as Socket | null)?.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
  return out;
}

/** Session end each hostile controller may lead to at the sim robot. */
const CONTROLLER_ENDS: Record<(typeof CONTROLLER_KINDS)[number], readonly SessionSummary['endedBy'][]> = {
  'random-bytes': ['protocol-error'],
  'bad-frames': ['bye'],
  truncated: ['disconnect'],
  oversized: ['protocol-error'],
  slowloris: ['bye', 'hello-timeout'],
  'half-open': ['disconnect'],
  'rapid-connect': ['disconnect', 'hello-timeout'],
  'no-read-flood': ['disconnect', 'hello-timeout'], // it never sends a HELLO: whichever the sim robot sees first
};

/** One hostile controller against the sim robot. */
async function hostileController(
  kind: (typeof CONTROLLER_KINDS)[number],
  rng: Rng,
  sim: SimRobot,
  path: string,
  D: number,
  A: number,
): Promise<CaseOutcome> {
  const hello = encodeJson(FrameType.HELLO, {
    protocol: 2,
    role: 'controller',
    family: 'fuzz',
    envId: 'fuzz-env',
    obsSize: D,
    actionSize: A,
    actionKind: 'box',
    numActions: 0,
    rateHz: 0,
  });
  const out: CaseOutcome = {};
  const sessions: Promise<SessionSummary>[] = [];
  const open = async (): Promise<Socket> => {
    sessions.push(sim.nextSession());
    const s = connect({ path });
    s.on('error', () => undefined);
    s.on('data', () => undefined);
    await new Promise<void>((r, j) => (s.once('connect', () => r()), s.once('error', j)));
    return s;
  };
  if (kind === 'rapid-connect') {
    const n = 2 + rng.integer(20);
    for (let k = 0; k < n; k++) {
      const s = await open();
      if (rng.integer(2) === 0) s.write(hello.subarray(0, rng.integer(hello.length)));
      s.destroy();
      await sessions[sessions.length - 1];
    }
  } else {
    const s = await open();
    let sent = 0;
    switch (kind) {
      case 'random-bytes':
        s.write(randomBytes(rng, HEADER_BYTES + rng.integer(512)));
        sent = 1;
        break;
      case 'bad-frames': {
        const frames: Buffer[] = [];
        const bad = (b: Buffer) => (frames.push(b), sent++);
        const action = (n: number, v: number) => {
          const b = Buffer.alloc(floatFrameBytes(n));
          encodeFloatFrame(b, FrameType.ACTION, 0, 0, new Float32Array(n).fill(v));
          return b;
        };
        for (let k = rng.integer(4); k > 0; k--) {
          const h = [
            { obsSize: 1e9 },
            { obsSize: MAX_FLOATS + 1 },
            { actionSize: 0 },
            { obsSize: -1 },
            { obsSize: 'x' },
            { role: 'robot' },
            { actionKind: 'warp' },
          ][rng.integer(7)]!;
          bad(
            encodeJson(FrameType.HELLO, {
              protocol: 2,
              role: 'controller',
              family: 'fuzz',
              envId: 'fuzz-env',
              obsSize: D,
              actionSize: A,
              actionKind: 'box',
              numActions: 0,
              rateHz: 0,
              ...h,
            }),
          );
        }
        if (rng.integer(2) === 0) bad(action(A, 0)); // ACTION before HELLO
        frames.push(hello);
        for (let k = 1 + rng.integer(8); k > 0; k--) {
          const r = rng.integer(4);
          if (r === 0) bad(action(A + 1 + rng.integer(4), 0));
          else if (r === 1) bad(action(A, NaN));
          else if (r === 2) bad(obsFrame(0, new Float32Array(D)));
          else bad(Buffer.concat([header(7 + rng.integer(249), 0, 0, 0)]));
        }
        frames.push(action(A, 0.5)); // a good one
        frames.push(encodeJson(FrameType.BYE, {}));
        await dribble(s, Buffer.concat(frames), rng, 1 + rng.integer(2048), false);
        break;
      }
      case 'truncated':
        s.write(hello.subarray(0, 1 + rng.integer(hello.length - 1)));
        s.end();
        break;
      case 'oversized':
        s.write(header(FrameType.ACTION, 0, 0, MAX_PAYLOAD + 1 + rng.integer(1e9)));
        sent = 1;
        break;
      case 'slowloris':
        if (rng.integer(8) === 0)
          s.write(hello.subarray(0, rng.integer(hello.length))); // and idle: the hello timeout
        else await dribble(s, Buffer.concat([hello, encodeJson(FrameType.BYE, {})]), rng, 4, true);
        break;
      case 'half-open':
        s.write(hello);
        s.end();
        break;
      case 'no-read-flood': {
        // a controller that sends bad frames and never reads the ERROR replies
        s.pause();
        const f = Buffer.concat([header(9, 0, 0, 0)]);
        s.write(Buffer.concat(Array.from({ length: 2000 + rng.integer(3000) }, () => f)));
        await sleep(20);
        s.destroy();
        break;
      }
    }
    const summary = await sessions[0]!;
    s.destroy();
    if (!CONTROLLER_ENDS[kind].includes(summary.endedBy))
      out.mismatch = `the session ended by ${summary.endedBy}; expected ${CONTROLLER_ENDS[kind].join(' or ')}`;
    if (kind === 'random-bytes' || kind === 'bad-frames' || kind === 'oversized') {
      out.refusedSent = sent;
      out.refusedCounted = summary.badFrames;
      if (summary.badFrames !== sent)
        out.mismatch ??= `the sim robot counted ${summary.badFrames} refused frames; the controller sent ${sent}`;
    }
    if (kind === 'bad-frames' && summary.actions !== 1) out.mismatch ??= `the sim robot applied ${summary.actions} actions; 1 was good`;
  }
  await Promise.all(sessions);
  return out;
}

/** A real Controller's session of 5 actions against the sim robot: true when it went as it should. */
async function goodSession(sim: SimRobot, path: string, policy: Policy): Promise<true | string> {
  const ended = sim.nextSession();
  const c = new Controller({ policy, socket: path, rateHz: 0, maxActions: 5, warmup: 1, silenceMs: 0, connectTimeoutS: 2 });
  try {
    await c.start();
  } catch (e) {
    return `start() failed: ${String(e)}`;
  }
  const s = await c.done;
  const robot = await ended;
  if (s.stopReason !== 'actions' || s.actions !== 5 || robot.actions !== 5 || robot.endedBy !== 'bye')
    return `stop ${s.stopReason} (${s.error ?? ''}), ${s.actions} actions; robot ${robot.actions} actions, ended by ${robot.endedBy}`;
  return true;
}

const FLAGS = {
  cases: { type: 'int' as const, help: 'number of cases', default: 2000 },
  seed: { type: 'int' as const, help: 'seed', default: 1 },
  family: {
    type: 'string' as const,
    help: 'demo model to serve',
    choices: ['gmmqf', 'dqn', 'mixture-actor', 'gamid-actor'],
    default: 'gmmqf',
  },
  help: { type: 'boolean' as const, help: 'print this help', default: false },
};

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const flags = parseMainFlags('robot-loop fuzz', 'node dist/examples/robot-loop/fuzz.js [flags]', argv, FLAGS);
  if (typeof flags === 'number') return flags;
  if (!((flags.cases as number) >= 1)) {
    console.error(`robot-loop fuzz: --cases ${flags.cases}; expected an integer ≥ 1.`);
    return 2;
  }
  // the demo model comes from the gmmrl entry (TensorFlow.js and the exporters): loaded only here
  const { buildDemoModel } = await import('./demo-model.js');
  const model = buildDemoModel(flags.family as 'gmmqf');
  const policy = await loadControllerPolicy(model.bytes, 'node', 1);
  try {
    const r = await fuzz({ cases: flags.cases as number, seed: flags.seed as number, policy });
    console.log(
      JSON.stringify({
        cases: r.cases,
        crashes: r.crashes,
        hangs: r.hangs,
        untypedErrors: r.untypedErrors,
        mismatches: r.mismatches,
        refusedSent: r.refusedSent,
        refusedCounted: r.refusedCounted,
        goodAfter: r.goodAfter,
        byKind: r.byKind,
      }),
    );
    for (const p of r.problems) console.error(`robot-loop fuzz: ${p}`);
    return r.crashes + r.hangs + r.untypedErrors + r.mismatches === 0 ? 0 : 1;
  } finally {
    await policy.dispose();
  }
}

runAsScript(import.meta.url, main);
