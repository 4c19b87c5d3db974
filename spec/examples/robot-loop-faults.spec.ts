/**
 * examples/robot-loop under faults (issue 13): a robot that stops reading (flow control), extreme
 * observations the model cannot compute, HELLOs the wire cannot carry, floods of ERROR frames,
 * silence, and summaries of runs that wrote nothing. Real sockets on this machine; no timing is
 * asserted (waits are bounded only so that a hang fails instead of stalling the suite).
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ACK_BYTES,
  ErrorCode,
  FrameDecoder,
  FrameType,
  MAX_FLOATS,
  MAX_PAYLOAD,
  OBS_FLAG_RESET,
  encodeAck,
  encodeError,
  encodeFloatFrame,
  encodeJson,
  floatFrameBytes,
  peerText,
} from '../../examples/robot-loop/protocol.js';
import { Controller, type ControllerOptions, type ControllerSummary } from '../../examples/robot-loop/controller.js';
import { SimRobot } from '../../examples/robot-loop/sim-robot.js';
import { LatencyHistogram } from '../../examples/robot-loop/histogram.js';
import { LogThrottle } from '../../examples/robot-loop/log-throttle.js';
import { buildBenchModel, type BenchModel } from '../../bench/models.js';
import { loadPolicy } from '../../runtime/index.node.js';
import { ModelFormatError, ValueError } from '../../contract/errors.js';
import type { Policy } from '../../runtime/policy.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const CONTROLLER_JS = join(here, '..', '..', 'examples', 'robot-loop', 'controller.js');

interface Frame {
  type: number;
  seq: number;
  aux: number;
  payload: Buffer;
  /** ms (performance.now) when the test robot decoded it. */
  at: number;
}

const floats = (b: Buffer): number[] => Array.from({ length: b.length / 4 }, (_, i) => b.readFloatLE(4 * i));

function obsFrame(seq: number, values: ArrayLike<number>, flags = 0): Buffer {
  const b = Buffer.alloc(floatFrameBytes(values.length));
  encodeFloatFrame(b, FrameType.OBS, seq, flags, values);
  return b;
}

function ackFrame(tick: number): Buffer {
  const b = Buffer.alloc(ACK_BYTES);
  encodeAck(b, 0, tick);
  return b;
}

/** Resolves when `pred` holds, polling; rejects after `ms` (a hang fails the test instead of stalling it). */
async function until(pred: () => boolean, what: string, ms = 15_000): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface TestRobot {
  server: Server;
  path: string;
  received: Frame[];
  sock: () => Socket;
  send(b: Buffer): void;
  actions(): Frame[];
  errors(): Frame[];
}

/**
 * A robot under the test's control on a Unix socket: answers HELLO with `sizes`, acknowledges every
 * ACTION it reads (unless `ack` is false) and hands it to `onAction`.
 */
async function testRobot(
  dir: string,
  sizes: { obsSize: number; actionSize: number },
  onAction?: (f: Frame, send: (b: Buffer) => void) => void,
  ack = true,
): Promise<TestRobot> {
  const path = join(dir, `robot-${Math.random().toString(36).slice(2)}.sock`);
  const received: Frame[] = [];
  let sock: Socket | null = null;
  const send = (b: Buffer) => {
    if (sock && !sock.destroyed) sock.write(b);
  };
  const server = createServer((s) => {
    sock = s;
    s.on('error', () => undefined);
    const dec = new FrameDecoder(
      (type, seq, aux, buf, off, len) => {
        const f = { type, seq, aux, payload: Buffer.from(buf.subarray(off, off + len)), at: performance.now() };
        received.push(f);
        if (type === FrameType.HELLO) send(encodeJson(FrameType.HELLO, { protocol: 2, role: 'robot', name: 'test robot', ...sizes }));
        if (type === FrameType.ACTION) {
          if (ack) send(ackFrame(seq));
          onAction?.(f, send);
        }
      },
      () => undefined,
    );
    s.on('data', (d) => dec.push(d));
  });
  await new Promise<void>((r) => server.listen(path, r));
  return {
    server,
    path,
    received,
    sock: () => sock!,
    send,
    actions: () => received.filter((f) => f.type === FrameType.ACTION),
    errors: () => received.filter((f) => f.type === FrameType.ERROR),
  };
}

describe('examples/robot-loop under faults', function () {
  this.timeout(120_000);
  let dir: string;
  const models: Record<string, BenchModel> = {};
  const policies: Policy[] = [];
  const controllers: Controller[] = [];
  const servers: Server[] = [];
  afterEach(async () => {
    // a failed test must not leave a controller polling (mocha would never exit)
    for (const c of controllers.splice(0)) {
      c.stop();
      await c.done;
    }
    for (const s of servers.splice(0)) s.close();
  });
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gmmrl-robot-faults-'));
    models.gmmqf = buildBenchModel('gmmqf');
    models.gamid = buildBenchModel('gamid-actor');
  });
  after(async () => {
    for (const p of policies) await p.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
  async function policyOf(m: BenchModel): Promise<Policy> {
    const p = await loadPolicy(m.bytes, { executionProviders: ['cpu'], sessionOptions: { intraOpNumThreads: 1, interOpNumThreads: 1 } });
    policies.push(p);
    return p;
  }
  function run(opts: Omit<ControllerOptions, 'socket'>, robot: TestRobot): { c: Controller; summary: Promise<ControllerSummary> } {
    const c = new Controller({ ...opts, socket: robot.path, warmup: opts.warmup ?? 3 });
    controllers.push(c);
    servers.push(robot.server);
    const started = c.start();
    return { c, summary: Promise.all([started, c.done]).then(([, s]) => s) };
  }

  describe('flow control', () => {
    it('a robot that stops reading finds one stale action when it resumes, and the summary counts what happened', async () => {
      const m = models.gmmqf!;
      const D = m.obsSize;
      const pool = m.observations(3, 64);
      const PAUSE_AFTER = 20;
      const PAUSE_MS = 400;
      let pausedAt = -1;
      let resumedAt = -1;
      let tickAtResume = -1;
      const running: { c: Controller | null } = { c: null }; // the controller, started after its robot
      const robot = await testRobot(dir, { obsSize: D, actionSize: 1 }, (f, send) => {
        const next = f.aux + 1;
        send(obsFrame(next, pool.subarray((next % 64) * D, (next % 64) * D + D)));
        if (robot.actions().length === PAUSE_AFTER) {
          // stop reading: what the controller writes now stays in the kernel's socket buffers
          robot.sock().pause();
          pausedAt = performance.now();
          setTimeout(() => {
            tickAtResume = running.c!.status.tick; // every tick before this one was written or dropped before the resume
            resumedAt = performance.now();
            robot.sock().resume();
          }, PAUSE_MS);
        }
      });
      const lines: string[] = [];
      const r = run({ model: m.bytes, rateHz: 200, silenceMs: 150, log: (l) => lines.push(l) }, robot);
      const c = (running.c = r.c);
      await until(() => robot.received.some((f) => f.type === FrameType.HELLO), 'HELLO');
      robot.send(obsFrame(0, pool.subarray(0, D), OBS_FLAG_RESET));
      await until(() => resumedAt > 0 && robot.actions().filter((f) => f.at > resumedAt).length >= 20, '20 actions after the resume');
      c.stop();
      const s = await r.summary;
      await until(() => robot.received.some((f) => f.type === FrameType.BYE), 'BYE');

      const acts = robot.actions();
      const afterResume = acts.filter((f) => f.at > resumedAt);
      const stale = afterResume.filter((f) => f.seq < tickAtResume);
      // the one ACTION written after the robot's last read before the pause; every later tick of the pause was dropped
      expect(stale, 'actions written before the resume and read after it').to.have.length(1);
      expect(pausedAt).to.be.greaterThan(0);
      expect(s.droppedWrites, 'ticks of the pause not written').to.be.greaterThan(0);
      // the summary's counts are what the robot saw
      expect(s.actions, 'ACTION frames written = read by the robot').to.equal(acts.length);
      expect(s.actionsAcknowledged).to.be.within(acts.length - 1, acts.length);
      const ticks = c.status.tick;
      expect(s.actions + s.droppedWrites + s.skipped, 'every tick was written, dropped or skipped').to.equal(ticks);
      const written = new Set(acts.map((f) => f.seq));
      expect(written.size, 'no tick written twice').to.equal(acts.length);
      expect(ticks - written.size, 'the ticks the robot never saw').to.equal(s.droppedWrites + s.skipped);
      // the pause is reported as silence, and the end of it
      expect(s.silences).to.be.at.least(1);
      expect(s.longestSilenceS).to.be.at.least(0.15);
      expect(lines.some((l) => /the robot has sent nothing for \d+ ms/.test(l))).to.equal(true);
      expect(lines.some((l) => /the robot is back after \d+\.\d+ s of silence/.test(l))).to.equal(true);
      robot.server.close();
    });

    it('refuses ACKs that acknowledge nothing or the wrong tick, and counts them', async () => {
      const m = models.gmmqf!;
      const robot = await testRobot(dir, { obsSize: 4, actionSize: 1 }, undefined, false);
      const { c, summary } = run({ model: m.bytes, rateHz: 0 }, robot);
      await until(() => robot.received.some((f) => f.type === FrameType.HELLO), 'HELLO');
      robot.send(ackFrame(0)); // nothing written yet
      await until(() => robot.errors().length === 1, 'ERROR 1');
      expect(robot.errors()[0]!.aux).to.equal(ErrorCode.BAD_ACK);
      expect(robot.errors()[0]!.payload.toString()).to.match(/ACK seq 0, but no ACTION awaits acknowledgement/);
      robot.send(obsFrame(0, [0.1, 0.2, 0.3, 0.4]));
      await until(() => robot.actions().length === 1, 'ACTION 0');
      robot.send(obsFrame(1, [0.1, 0.2, 0.3, 0.5]));
      robot.send(ackFrame(7));
      await until(() => robot.errors().length === 2 && c.status.droppedWrites === 1, 'ERROR 2 and the dropped action of observation 1');
      expect(robot.errors()[1]!.payload.toString()).to.match(/ACK seq 7, but the ACTION awaiting acknowledgement is tick 0/);
      // unacknowledged: observation 1 got no ACTION; the right ACK releases the next one
      expect(robot.actions()).to.have.length(1);
      robot.send(ackFrame(0));
      robot.send(obsFrame(2, [0.1, 0.2, 0.3, 0.6]));
      await until(() => robot.actions().length === 2, 'ACTION 1');
      expect(robot.actions()[1]!.aux).to.equal(2);
      c.stop();
      const s = await summary;
      expect(s.badFramesReceived).to.equal(2);
      expect(s.actions).to.equal(2);
      expect(s.actionsAcknowledged).to.equal(1);
      expect(s.droppedWrites).to.equal(1); // observation 1's action, computed while tick 0 was unacknowledged
      robot.server.close();
    });
  });

  describe('observations the model cannot compute', () => {
    // a finite float32 observation whose first layer overflows in float32: a runtime that checks the
    // model's computable range refuses it (ValueError), one that does not refuses the NaN action it
    // gives (ModelFormatError); the controller must treat both as this observation's fault
    const EXTREME = [-1e38, 1e38, 0];

    it('answers an extreme observation (1e38) with an ERROR and keeps serving (free-running)', async () => {
      const m = models.gamid!;
      const ref = await policyOf(m);
      let refErr: unknown = null;
      await ref.envAction(Float32Array.from(EXTREME)).catch((e: unknown) => (refErr = e));
      expect((refErr as Error | null)?.name, 'the runtime itself refuses this observation').to.be.oneOf(['ModelFormatError', 'ValueError']);
      const robot = await testRobot(dir, { obsSize: 3, actionSize: 1 });
      const { c, summary } = run({ model: m.bytes, rateHz: 0 }, robot);
      await until(() => robot.received.some((f) => f.type === FrameType.HELLO), 'HELLO');
      robot.send(obsFrame(0, [1, 0, 0.5], OBS_FLAG_RESET));
      await until(() => robot.actions().length === 1, 'ACTION 0');
      robot.send(obsFrame(1, EXTREME));
      await until(() => robot.errors().length === 1, 'ERROR');
      const e = robot.errors()[0]!;
      expect(e.aux).to.equal(ErrorCode.BAD_OBS_VALUE);
      expect(e.payload.toString()).to.match(
        /OBS seq 1 = Float32Array\(3\) \[-9\.99999\d+e\+37, 9\.99999\d+e\+37, 0\]: (the policy gives no valid action for it \(.*\) but does for the previous observation: it is outside the range the model computes in|the policy refused it \(ValueError: .*outside the range.*\))\. Observation ignored/,
      );
      robot.send(obsFrame(2, [0, 1, -0.5]));
      await until(() => robot.actions().length === 2, 'ACTION 1');
      expect(robot.actions()[1]!.aux).to.equal(2);
      expect(floats(robot.actions()[1]!.payload)).to.deep.equal(Array.from((await ref.envAction([0, 1, -0.5])) as Float32Array));
      c.stop();
      const s = await summary;
      expect(s.stopReason).to.equal('stop');
      expect(s.badFramesReceived).to.equal(1);
      expect(s.obsRejectedByModel).to.equal(1);
      robot.server.close();
    });

    it('serves the tick from the previous observation when the model refuses the newest (paced)', async () => {
      const m = models.gamid!;
      const ref = await policyOf(m);
      const robot = await testRobot(dir, { obsSize: 3, actionSize: 1 });
      const { c, summary } = run({ model: m.bytes, rateHz: 200 }, robot);
      await until(() => robot.received.some((f) => f.type === FrameType.HELLO), 'HELLO');
      robot.send(obsFrame(0, [1, 0, 0.5], OBS_FLAG_RESET));
      await until(() => robot.actions().length >= 3, '3 actions');
      robot.send(obsFrame(1, EXTREME));
      await until(() => robot.errors().length === 1, 'ERROR');
      const n = robot.actions().length;
      await until(() => robot.actions().length >= n + 3, '3 more actions');
      const want = Array.from((await ref.envAction([1, 0, 0.5])) as Float32Array);
      for (const f of robot.actions()) {
        expect(f.aux, 'every action answers observation 0').to.equal(0);
        expect(floats(f.payload)).to.deep.equal(want);
      }
      c.stop();
      const s = await summary;
      expect(s.stopReason).to.equal('stop');
      expect(s.obsRejectedByModel).to.equal(1);
      robot.server.close();
    });

    it('refuses an extreme first observation during the warm-up and starts on the next one', async () => {
      const m = models.gamid!;
      const robot = await testRobot(dir, { obsSize: 3, actionSize: 1 });
      const { c, summary } = run({ model: m.bytes, rateHz: 0 }, robot);
      await until(() => robot.received.some((f) => f.type === FrameType.HELLO), 'HELLO');
      robot.send(obsFrame(0, EXTREME, OBS_FLAG_RESET));
      await until(() => robot.errors().length === 1, 'ERROR');
      // a runtime that checks the range names it (ValueError); one that does not is probed at the centre
      expect(robot.errors()[0]!.payload.toString()).to.match(
        /centre of the observation space|the policy refused it \(ValueError: .*outside the range/,
      );
      robot.send(obsFrame(1, [1, 0, 0.5]));
      await until(() => robot.actions().length === 1, 'ACTION');
      expect(robot.actions()[0]!.aux).to.equal(1);
      c.stop();
      const s = await summary;
      expect(s.stopReason).to.equal('stop');
      expect(s.obsRejectedByModel).to.equal(1);
      robot.server.close();
    });

    it("treats the runtime's input errors (ValueError) from the policy call as per-frame errors", async () => {
      // the runtime's contract: observations it cannot take are refused with an input error. This
      // policy is the real one, refusing |x| > 1e30 the way a runtime with a range check does.
      const m = models.gmmqf!;
      const real = await policyOf(m);
      const ranged = Object.create(real) as Policy;
      ranged.envAction = (obs, o) => {
        const x = obs as ArrayLike<number>;
        for (let i = 0; i < x.length; i++)
          if (Math.abs(x[i]!) > 1e30) return Promise.reject(new ValueError(`obs[${i}] = ${x[i]} is outside the range the model computes.`));
        return real.envAction(obs, o);
      };
      const robot = await testRobot(dir, { obsSize: 4, actionSize: 1 });
      const { c, summary } = run({ policy: ranged, rateHz: 0 }, robot);
      await until(() => robot.received.some((f) => f.type === FrameType.HELLO), 'HELLO');
      robot.send(obsFrame(0, [0.1, 0.2, 0.3, 0.4]));
      await until(() => robot.actions().length === 1, 'ACTION 0');
      robot.send(obsFrame(1, [0.1, 1e35, 0.3, 0.4]));
      await until(() => robot.errors().length === 1, 'ERROR');
      expect(robot.errors()[0]!.payload.toString()).to.match(
        /the policy refused it \(ValueError: obs\[1\] = 1\.0000000409184788e\+35 is outside/,
      );
      robot.send(obsFrame(2, [0.1, 0.2, 0.3, 0.5]));
      await until(() => robot.actions().length === 2, 'ACTION 1');
      c.stop();
      const s = await summary;
      expect(s.stopReason).to.equal('stop');
      expect(s.badFramesReceived).to.equal(1);
      robot.server.close();
    });
    it('probes a ModelFormatError: the observation is refused when the model computes the previous one, the loop stops when it does not', async () => {
      // a runtime without a range check reports an extreme observation as a bad output (ModelFormatError)
      const m = models.gmmqf!;
      const real = await policyOf(m);
      let broken = false;
      const failing = Object.create(real) as Policy;
      failing.envAction = (obs, o) => {
        const x = obs as ArrayLike<number>;
        if (broken || Math.abs(x[0]!) > 1e30) return Promise.reject(new ModelFormatError('The model returned q entry 0 = NaN.'));
        return real.envAction(obs, o);
      };
      const robot = await testRobot(dir, { obsSize: 4, actionSize: 1 });
      const { summary } = run({ policy: failing, rateHz: 0 }, robot);
      await until(() => robot.received.some((f) => f.type === FrameType.HELLO), 'HELLO');
      robot.send(obsFrame(0, [0.1, 0.2, 0.3, 0.4]));
      await until(() => robot.actions().length === 1, 'ACTION 0');
      robot.send(obsFrame(1, [1e35, 0.2, 0.3, 0.4]));
      await until(() => robot.errors().length === 1, 'ERROR 1');
      expect(robot.errors()[0]!.aux).to.equal(ErrorCode.BAD_OBS_VALUE);
      expect(robot.errors()[0]!.payload.toString()).to.match(
        /the policy gives no valid action for it \(The model returned q entry 0 = NaN\.\) but does for the previous observation/,
      );
      broken = true; // now the model fails everywhere: its fault, not the observation's
      robot.send(obsFrame(2, [0.1, 0.2, 0.3, 0.5]));
      const s = await summary;
      expect(s.stopReason).to.equal('policy-error');
      expect(s.error).to.equal('ModelFormatError: The model returned q entry 0 = NaN.');
      expect(s.obsRejectedByModel).to.equal(1);
      await until(() => robot.errors().some((e) => e.aux === ErrorCode.POLICY_ERROR), 'ERROR 8');
    });
  });

  describe('handshake limits', () => {
    async function client(path: string): Promise<{ s: Socket; frames: Frame[] }> {
      const frames: Frame[] = [];
      const s = connect({ path });
      s.on('error', () => undefined);
      await new Promise((r) => s.once('connect', r));
      const dec = new FrameDecoder(
        (type, seq, aux, buf, off, len) => frames.push({ type, seq, aux, payload: Buffer.from(buf.subarray(off, off + len)), at: 0 }),
        () => undefined,
      );
      s.on('data', (d) => dec.push(d));
      return { s, frames };
    }
    const hello = (over: Record<string, unknown>) =>
      encodeJson(FrameType.HELLO, {
        protocol: 2,
        role: 'controller',
        family: 'gmmqf',
        envId: 'synthetic-4d',
        obsSize: 4,
        actionSize: 1,
        actionKind: 'discrete',
        numActions: 3,
        rateHz: 0,
        ...over,
      });

    it('the sim robot refuses sizes one frame cannot carry (obsSize 1e9) before allocating, then accepts a valid HELLO', async () => {
      const path = join(dir, 'sim-sizes.sock');
      const robot = new SimRobot({ socket: path });
      await robot.listen();
      const { s, frames } = await client(path);
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ obsSize: 1e9 }, /obsSize 1000000000; expected an integer in 1…16384 \(one frame carries at most 16384 float32\)/],
        [{ actionSize: MAX_FLOATS + 1 }, /actionSize 16385; expected an integer in 1…16384/],
        [{ obsSize: 0 }, /obsSize 0; expected an integer/],
        [{ obsSize: 2.5 }, /obsSize 2\.5; expected an integer/],
        [{ obsSize: '4' }, /obsSize "4"; expected an integer/],
        [{ actionKind: 'teleport' }, /actionKind "teleport"; expected "discrete", "grid" or "box"/],
        [{ actionSize: 2 }, /a discrete action of actionSize 2; a discrete action is one index/],
        [{ role: 'robot' }, /role "robot"; expected "controller"/],
      ];
      for (const [i, [over, re]] of cases.entries()) {
        s.write(hello(over));
        await until(() => frames.filter((f) => f.type === FrameType.ERROR).length === i + 1, `ERROR ${i}`);
        const e = frames.filter((f) => f.type === FrameType.ERROR)[i]!;
        expect(e.aux).to.equal(ErrorCode.BAD_HELLO);
        expect(e.payload.toString()).to.match(re);
      }
      s.write(hello({}));
      await until(() => frames.some((f) => f.type === FrameType.OBS), 'OBS 0');
      expect(JSON.parse(frames.find((f) => f.type === FrameType.HELLO)!.payload.toString())).to.include({ obsSize: 4, actionSize: 1 });
      const ended = robot.nextSession();
      s.write(encodeJson(FrameType.BYE, {}));
      const summary = await ended;
      expect(summary.badFrames).to.equal(cases.length);
      s.destroy();
      await robot.close();
    });

    it("the sim robot refuses a model whose sizes are not its environment's, and the controller fails the handshake at once", async () => {
      const path = join(dir, 'sim-env.sock');
      const robot = new SimRobot({ socket: path, env: 'Pendulum-v1' });
      await robot.listen();
      const c = new Controller({ model: models.gmmqf!.bytes, socket: path, rateHz: 100, warmup: 0, helloTimeoutS: 60 });
      await c.start();
      const s = await c.done;
      expect(s.stopReason).to.equal('handshake-failed');
      expect(s.error).to.match(
        /the robot refused the handshake: BAD_HELLO: the controller's model takes observations of 4 and actions of 1 entries; this robot simulates Pendulum-v1 \(observations of 3, actions of 1\)/,
      );
      expect(s.latency.n).to.equal(0);
      expect(s.latency.p50Us, 'no latency measured, not NaN').to.equal(null);
      expect(s.latency.meanUs).to.equal(null);
      await robot.close();
    });

    it('the sim robot closes a connection that sends no HELLO within --hello-timeout', async () => {
      const path = join(dir, 'sim-slow.sock');
      const robot = new SimRobot({ socket: path, helloTimeoutS: 0.2 });
      await robot.listen();
      const ended = robot.nextSession();
      const { s, frames } = await client(path);
      s.write(hello({}).subarray(0, 10)); // a HELLO that never completes
      const summary = await ended;
      expect(summary.endedBy).to.equal('hello-timeout');
      await until(() => s.destroyed || s.readableEnded, 'the robot closes the connection');
      expect(frames.map((f) => f.type)).to.deep.equal([FrameType.ERROR]);
      expect(frames[0]!.payload.toString()).to.match(/no acceptable HELLO within 200 ms of connecting; closing/);
      s.destroy();
      await robot.close();
    });
  });

  describe('logs and summaries', () => {
    const flood = (n: number, text: string) => Buffer.concat(Array.from({ length: n }, () => encodeError(ErrorCode.POLICY_ERROR, text)));
    const BIG = 'x'.repeat(MAX_PAYLOAD - 100);

    it('throttles 200 ERROR frames of 64 KiB from the robot to a few short log lines, and keeps bounded copies', async () => {
      const robot = await testRobot(dir, { obsSize: 4, actionSize: 1 });
      const lines: string[] = [];
      // one interval for the whole test: how fast the flood is read must not change what is written
      const { c, summary } = run({ model: models.gmmqf!.bytes, rateHz: 0, log: (l) => lines.push(l), logIntervalMs: 600_000 }, robot);
      await until(() => robot.received.some((f) => f.type === FrameType.HELLO), 'HELLO');
      robot.send(obsFrame(0, [0, 0, 0, 0]));
      await until(() => robot.actions().length === 1, 'ACTION');
      robot.send(encodeError(ErrorCode.POLICY_ERROR, 'the first one \u001b[31m\nFORGED LINE'));
      robot.send(flood(200, BIG));
      robot.send(obsFrame(1, [0, 0, 0, 0.5])); // read after the flood: its action says the flood was read
      await until(() => robot.actions().length === 2, 'the action after the flood');
      c.stop();
      const s = await summary;
      expect(s.robotErrorCount).to.equal(201);
      expect(s.robotErrors).to.have.length(100);
      for (const e of s.robotErrors) expect(e.length).to.be.below(300);
      const reports = lines.filter((l) => l.startsWith('controller: the robot reports '));
      expect(reports).to.have.length(5);
      expect(lines.some((l) => /^controller: the robot reports: 196 more such lines left out/.test(l))).to.equal(true);
      const bytes = lines.reduce((a, l) => a + l.length, 0);
      expect(bytes, 'all log text').to.be.below(10_000);
      expect(s.logLinesSuppressed).to.equal(196);
      expect(reports[0]).to.equal('controller: the robot reports POLICY_ERROR: the first one \\u001b[31m\\u000aFORGED LINE');
      robot.server.close();
    });

    it('the sim robot throttles ERROR floods from the controller too', async () => {
      const path = join(dir, 'sim-flood.sock');
      const lines: string[] = [];
      const robot = new SimRobot({ socket: path, log: (l) => lines.push(l), logIntervalMs: 600_000 });
      await robot.listen();
      const s = connect({ path });
      await new Promise((r) => s.once('connect', r));
      const ended = robot.nextSession();
      s.write(flood(200, BIG));
      s.write(encodeJson(FrameType.BYE, {}));
      const summary = await ended;
      expect(summary.errorCount).to.equal(200);
      expect(summary.errorsReceived).to.have.length(100);
      await robot.close();
      expect(lines.filter((l) => l.startsWith('sim-robot: the controller reports '))).to.have.length(5);
      expect(lines.some((l) => /195 more such lines left out/.test(l))).to.equal(true);
      expect(lines.reduce((a, l) => a + l.length, 0)).to.be.below(10_000);
      s.destroy();
    });

    it('peer text in logs is cut and its control characters escaped', () => {
      expect(peerText('ok')).to.equal('ok');
      expect(peerText('a\u001b[31m\nb')).to.equal('a\\u001b[31m\\u000ab');
      const cut = peerText('y'.repeat(1000), 50);
      expect(cut).to.equal(`${'y'.repeat(50)}… (950 more characters)`);
    });

    it('LogThrottle writes the first lines of a kind per interval and reports the count of the rest', async () => {
      const out: string[] = [];
      const t = new LogThrottle((l) => out.push(l), { burst: 2, intervalMs: 50 });
      for (let i = 0; i < 10; i++) t.log('k', `line ${i}`);
      t.log('other', 'other line');
      expect(out).to.deep.equal(['line 0', 'line 1', 'other line']);
      await until(() => out.length === 4, 'the count line');
      expect(out[3]).to.equal('k: 8 more such lines left out (at most 2 per 0.1 s are written)');
      t.log('k', 'line 10');
      expect(out.at(-1)).to.equal('line 10');
      t.flush();
      expect(t.suppressedTotal).to.equal(8);
    });

    it('an empty histogram summarizes to nulls, not NaN', () => {
      const h = new LatencyHistogram();
      expect(h.summaryUs()).to.include({ n: 0, meanUs: null, p50Us: null, p99Us: null, p999Us: null, maxUs: null, minUs: null });
    });

    it('the CLI prints no NaN for a run with 0 actions', async () => {
      const d = mkdtempSync(join(tmpdir(), 'gmmrl-nan-'));
      const robot = new SimRobot({ socket: join(d, 'r.sock'), env: 'Pendulum-v1' });
      try {
        const model = join(d, 'policy.onnx');
        writeFileSync(model, models.gmmqf!.bytes);
        await robot.listen();
        const { code, out, err } = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
          const p = spawn(process.execPath, [CONTROLLER_JS, '--model', model, '--socket', join(d, 'r.sock'), '--warmup', '0'], {
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let o = '';
          let e = '';
          p.stdout.setEncoding('utf8').on('data', (x: string) => (o += x));
          p.stderr.setEncoding('utf8').on('data', (x: string) => (e += x));
          p.on('exit', (c) => resolve({ code: c, out: o, err: e }));
        });
        expect(code, err).to.equal(2);
        expect(err).to.match(/handshake-failed .*0 actions .*no latency measured \(no action written\)/);
        expect(err).to.not.match(/NaN/);
        expect(out).to.not.match(/NaN/);
        expect((JSON.parse(out.trim()) as ControllerSummary).latency.p99Us).to.equal(null);
      } finally {
        await robot.close();
        rmSync(d, { recursive: true, force: true });
      }
    });
  });
});
