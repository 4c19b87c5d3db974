/**
 * examples/robot-loop: the wire protocol, the controller against a scripted robot (same actions as
 * policy.envAction, bad frames answered with clear errors), the simulated robot's checks, and the
 * processes end to end (SIGINT → exit 0 with a summary). Functional only: no timing is asserted.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ACK_BYTES,
  ErrorCode,
  FrameDecoder,
  FrameType,
  HEADER_BYTES,
  MAGIC,
  MAX_PAYLOAD,
  OBS_FLAG_RESET,
  encodeAck,
  encodeError,
  encodeFloatFrame,
  encodeJson,
  encodeScalarAction,
  floatFrameBytes,
  payloadText,
  writeHeader,
} from '../../examples/robot-loop/protocol.js';
import { Controller, type ControllerOptions, type ControllerSummary } from '../../examples/robot-loop/controller.js';
import { SimRobot } from '../../examples/robot-loop/sim-robot.js';
import { LatencyHistogram } from '../../examples/robot-loop/histogram.js';
import { DEMO_FAMILIES, buildDemoModel } from '../../examples/robot-loop/demo-model.js';
import { BENCH_FAMILIES, buildBenchModel, type BenchModel } from '../../bench/models.js';
import { loadPolicy } from '../../runtime/index.node.js';
import type { Policy } from '../../runtime/policy.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const CONTROLLER_JS = join(here, '..', '..', 'examples', 'robot-loop', 'controller.js');
const SIM_ROBOT_JS = join(here, '..', '..', 'examples', 'robot-loop', 'sim-robot.js');

interface Frame {
  type: number;
  seq: number;
  aux: number;
  payload: Buffer;
}

function collect(): { frames: Frame[]; desyncs: [number, string][]; decoder: FrameDecoder } {
  const frames: Frame[] = [];
  const desyncs: [number, string][] = [];
  const decoder = new FrameDecoder(
    (type, seq, aux, buf, off, len) => frames.push({ type, seq, aux, payload: Buffer.from(buf.subarray(off, off + len)) }),
    (code, msg) => desyncs.push([code, msg]),
  );
  return { frames, desyncs, decoder };
}

function floats(b: Buffer): number[] {
  return Array.from({ length: b.length / 4 }, (_, i) => b.readFloatLE(4 * i));
}

describe('examples/robot-loop protocol', () => {
  it('round-trips OBS, ACTION, HELLO, ERROR and BYE frames, whole or split at every byte', () => {
    const obs = [0.1, -2.5, 3e-8, 12345.678];
    const o = Buffer.alloc(floatFrameBytes(4));
    expect(encodeFloatFrame(o, FrameType.OBS, 7, OBS_FLAG_RESET, obs)).to.equal(HEADER_BYTES + 16);
    const a = Buffer.alloc(floatFrameBytes(1));
    expect(encodeScalarAction(a, 4294967295, 7, 2)).to.equal(HEADER_BYTES + 4);
    const hello = encodeJson(FrameType.HELLO, { role: 'robot', name: 'r2 ✓', obsSize: 4, actionSize: 1 });
    const err = encodeError(ErrorCode.BAD_OBS_SIZE, 'obs has 3 float32, expected 4 — fix the sensor');
    const bye = encodeJson(FrameType.BYE, {});
    const stream = Buffer.concat([o, a, hello, err, bye]);
    for (const split of ['whole', 'bytes'] as const) {
      const { frames, desyncs, decoder } = collect();
      if (split === 'whole') decoder.push(stream);
      else for (let i = 0; i < stream.length; i++) decoder.push(stream.subarray(i, i + 1));
      expect(desyncs).to.deep.equal([]);
      expect(frames.map((f) => f.type)).to.deep.equal([FrameType.OBS, FrameType.ACTION, FrameType.HELLO, FrameType.ERROR, FrameType.BYE]);
      expect(frames[0]!.seq).to.equal(7);
      expect(frames[0]!.aux).to.equal(OBS_FLAG_RESET);
      expect(floats(frames[0]!.payload)).to.deep.equal(obs.map(Math.fround));
      expect(frames[1]!.seq).to.equal(4294967295);
      expect(frames[1]!.aux).to.equal(7);
      expect(floats(frames[1]!.payload)).to.deep.equal([2]);
      expect(JSON.parse(frames[2]!.payload.toString('utf8'))).to.deep.equal({ role: 'robot', name: 'r2 ✓', obsSize: 4, actionSize: 1 });
      expect(frames[3]!.aux).to.equal(ErrorCode.BAD_OBS_SIZE);
      expect(payloadText(frames[3]!.payload, 0, frames[3]!.payload.length)).to.equal('obs has 3 float32, expected 4 — fix the sensor');
      expect(frames[4]!.payload.toString()).to.equal('{}');
    }
  });

  it('writes the documented header layout', () => {
    const b = Buffer.alloc(HEADER_BYTES);
    writeHeader(b, 0, FrameType.ACTION, 0x01020304, 0x0a0b0c0d, 12);
    expect([...b]).to.deep.equal([0x47, 0x4d, 2, 3, 4, 3, 2, 1, 0x0d, 0x0c, 0x0b, 0x0a, 12, 0, 0, 0]);
    expect(b.readUInt16LE(0)).to.equal(MAGIC);
  });

  it('accepts a payload of exactly MAX_PAYLOAD bytes fed in pieces, and refuses one byte more as a desync', () => {
    const big = Buffer.alloc(HEADER_BYTES + MAX_PAYLOAD);
    writeHeader(big, 0, FrameType.OBS, 1, 0, MAX_PAYLOAD);
    big.writeFloatLE(1.5, HEADER_BYTES + MAX_PAYLOAD - 4);
    const ok = collect();
    for (let i = 0; i < big.length; i += 1000) ok.decoder.push(big.subarray(i, Math.min(big.length, i + 1000)));
    expect(ok.frames).to.have.length(1);
    expect(ok.frames[0]!.payload.readFloatLE(MAX_PAYLOAD - 4)).to.equal(1.5);

    const tooBig = Buffer.alloc(HEADER_BYTES);
    writeHeader(tooBig, 0, FrameType.OBS, 1, 0, MAX_PAYLOAD + 1);
    const bad = collect();
    bad.decoder.push(tooBig);
    expect(bad.desyncs).to.have.length(1);
    expect(bad.desyncs[0]![0]).to.equal(ErrorCode.BAD_LENGTH);
    expect(bad.desyncs[0]![1]).to.match(/65537 bytes exceeds the limit of 65536/);
  });

  it('reports a bad magic or version once and ignores everything after it', () => {
    const good = encodeJson(FrameType.BYE, {});
    const junk = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const c = collect();
    c.decoder.push(Buffer.concat([good, junk, good]));
    expect(c.frames.map((f) => f.type)).to.deep.equal([FrameType.BYE]);
    expect(c.desyncs).to.have.length(1);
    expect(c.desyncs[0]![0]).to.equal(ErrorCode.BAD_MAGIC);
    expect(c.desyncs[0]![1]).to.match(/bad frame magic 0x4547.*does not speak the gmmrl robot-loop protocol/);
    c.decoder.push(good);
    expect(c.frames).to.have.length(1);
    expect(c.decoder.desynced).to.equal(true);

    const v1 = Buffer.from(good);
    v1.writeUInt8(1, 2);
    const d = collect();
    d.decoder.push(v1);
    expect(d.desyncs[0]![0]).to.equal(ErrorCode.BAD_VERSION);
    expect(d.desyncs[0]![1]).to.match(/version 1 is not supported \(this side speaks version 2, which adds an ACK/);
  });
});

describe('examples/robot-loop LatencyHistogram', () => {
  it('gives nearest-rank percentiles within one bin, capped at the exact maximum', () => {
    const h = new LatencyHistogram(100, 1_000_000);
    const xs: number[] = [];
    let s = 1;
    for (let i = 0; i < 5000; i++) {
      s = (s * 16807) % 2147483647;
      const x = (s / 2147483647) ** 3 * 900_000; // skewed, like latencies
      xs.push(x);
      h.record(x);
    }
    const sorted = [...xs].sort((a, b) => a - b);
    for (const p of [1, 10, 50, 90, 99, 99.9, 100]) {
      const exact = sorted[Math.max(1, Math.ceil((Math.round(p * 10) * sorted.length) / 1000)) - 1]!; // integer arithmetic: rank ⌈p·n/100⌉
      const got = h.percentileNs(p);
      expect(got, `p${p}`).to.be.at.least(exact);
      expect(got, `p${p}`).to.be.below(exact + 100);
    }
    expect(h.percentileNs(100)).to.equal(sorted.at(-1));
    expect(h.count).to.equal(5000);
    expect(h.sumNs / h.count).to.be.closeTo(xs.reduce((a, b) => a + b, 0) / xs.length, 1e-6);
  });

  it('counts samples beyond its range as overflow and reports the exact maximum for them', () => {
    const h = new LatencyHistogram(1000, 10_000);
    for (const x of [500, 1500, 2500, 50_000, 70_000]) h.record(x);
    expect(h.overflow).to.equal(2);
    expect(h.percentileNs(40)).to.equal(2000); // rank 2: 1500 → bin [1000, 2000)
    expect(h.percentileNs(100)).to.equal(70_000);
    expect(h.percentileNs(80)).to.equal(70_000); // rank 4 is in the overflow: the maximum bounds it
    expect(h.summaryUs().overflow).to.equal(2);
    h.record(-5);
    expect(h.minNs).to.equal(0);
  });
});

// ------------------------------------------------------------------------------------ scripted robot

interface ScriptedRobot {
  server: Server;
  path: string;
  received: Frame[];
  socket: Promise<Socket>;
  send(b: Buffer): void;
  waitFor(pred: (f: Frame) => boolean, what: string): Promise<Frame>;
  closed: Promise<void>;
}

/** A robot under the test's control: answers HELLO with the given sizes, records every frame. */
async function scriptedRobot(
  dir: string,
  sizes: { obsSize: number; actionSize: number },
  onAction?: (f: Frame, send: (b: Buffer) => void) => void,
): Promise<ScriptedRobot> {
  const path = join(dir, `robot-${Math.random().toString(36).slice(2)}.sock`);
  const received: Frame[] = [];
  const waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  let resolveSocket!: (s: Socket) => void;
  let resolveClosed!: () => void;
  const socket = new Promise<Socket>((r) => (resolveSocket = r));
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let sock: Socket | null = null;
  const send = (b: Buffer) => {
    if (sock && !sock.destroyed) sock.write(b);
  };
  const server = createServer((s) => {
    sock = s;
    resolveSocket(s);
    s.on('close', () => resolveClosed());
    s.on('error', () => undefined);
    const dec = new FrameDecoder(
      (type, seq, aux, buf, off, len) => {
        const f = { type, seq, aux, payload: Buffer.from(buf.subarray(off, off + len)) };
        received.push(f);
        if (type === FrameType.HELLO) send(encodeJson(FrameType.HELLO, { protocol: 2, role: 'robot', name: 'scripted', ...sizes }));
        if (type === FrameType.ACTION) {
          const ack = Buffer.alloc(ACK_BYTES);
          encodeAck(ack, 0, seq);
          send(ack);
          onAction?.(f, send);
        }
        for (const w of [...waiters]) {
          if (w.pred(f)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(f);
          }
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
    socket,
    send,
    closed,
    waitFor: (pred, what) =>
      new Promise<Frame>((resolve, reject) => {
        const hit = received.find(pred);
        if (hit) return resolve(hit);
        const t = setTimeout(
          () => reject(new Error(`timed out waiting for ${what}; received ${received.map((f) => f.type).join(',')}`)),
          10_000,
        );
        waiters.push({ pred, resolve: (f) => (clearTimeout(t), resolve(f)) });
      }),
  };
}

function obsFrame(seq: number, values: ArrayLike<number>, flags = 0): Buffer {
  const b = Buffer.alloc(floatFrameBytes(values.length));
  encodeFloatFrame(b, FrameType.OBS, seq, flags, values);
  return b;
}

describe('examples/robot-loop controller', function () {
  this.timeout(120000);
  let dir: string;
  const models: Record<string, BenchModel> = {};
  const policies: Policy[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gmmrl-robot-spec-'));
    models.gmmqf = buildBenchModel('gmmqf');
    models.actor = buildBenchModel('mixture-actor');
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
  /** Starts a controller against `robot` without waiting: start() resolves only after the first observation. */
  function run(opts: Omit<ControllerOptions, 'socket'>, robot: ScriptedRobot): { c: Controller; summary: Promise<ControllerSummary> } {
    const c = new Controller({ ...opts, socket: robot.path, warmup: opts.warmup ?? 3 });
    const started = c.start();
    return { c, summary: Promise.all([started, c.done]).then(([, s]) => s) };
  }

  for (const kind of ['gmmqf', 'actor'] as const) {
    it(`serves the actions policy.envAction gives for the observations it was sent (${kind}, free-running)`, async () => {
      const m = models[kind]!;
      const pool = m.observations(5, 40);
      const D = m.obsSize;
      const N = 40;
      const robot = await scriptedRobot(dir, { obsSize: D, actionSize: m.actionSize }, (f, send) => {
        const next = f.aux + 1; // the seq of the observation the action answered, plus one
        if (next < N) send(obsFrame(next, pool.subarray(next * D, next * D + D)));
      });
      const { summary } = run({ model: m.bytes, rateHz: 0, maxActions: N }, robot);
      await robot.waitFor((f) => f.type === FrameType.HELLO, 'HELLO');
      robot.send(obsFrame(0, pool.subarray(0, D), OBS_FLAG_RESET));
      const s = await summary;
      expect(s.stopReason).to.equal('actions');
      expect(s.actions).to.equal(N);
      expect(s.obsResets).to.equal(1);
      const bye = await robot.waitFor((f) => f.type === FrameType.BYE, 'BYE'); // every ACTION was written before it
      const actions = robot.received.filter((f) => f.type === FrameType.ACTION);
      expect(actions).to.have.length(N);
      const ref = await policyOf(m);
      for (const [i, f] of actions.entries()) {
        expect(f.seq, 'tick').to.equal(i);
        expect(f.aux, 'observation used').to.equal(i);
        const want = await ref.envAction(pool.subarray(i * D, i * D + D));
        const got = floats(f.payload);
        if (typeof want === 'number') expect(got).to.deep.equal([want]);
        else expect(got).to.deep.equal(Array.from(want, Math.fround));
      }
      expect(JSON.parse(bye.payload.toString())).to.deep.equal({ stopReason: 'actions', actions: N });
      robot.server.close();
    });
  }

  it('paces ticks on its clock and answers each with the newest observation (rate 200 Hz, 0.3 s)', async () => {
    const m = models.gmmqf!;
    const D = m.obsSize;
    const pool = m.observations(9, 1000);
    const robot = await scriptedRobot(dir, { obsSize: D, actionSize: 1 }, (f, send) => {
      const next = f.aux + 1;
      send(obsFrame(next, pool.subarray((next % 1000) * D, (next % 1000) * D + D)));
    });
    const { summary } = run({ model: m.bytes, rateHz: 200, durationS: 0.3 }, robot);
    await robot.waitFor((f) => f.type === FrameType.HELLO, 'HELLO');
    robot.send(obsFrame(0, pool.subarray(0, D)));
    const s = await summary;
    expect(s.stopReason).to.equal('duration');
    expect(s.rateHz).to.equal(200);
    expect(s.actions).to.be.greaterThan(0);
    expect(s.latency.n).to.equal(s.actions);
    const ref = await policyOf(m);
    for (const f of robot.received.filter((x) => x.type === FrameType.ACTION)) {
      const j = f.aux % 1000;
      expect(floats(f.payload)).to.deep.equal([await ref.envAction(pool.subarray(j * D, j * D + D))]);
    }
    robot.server.close();
  });

  it('answers bad frames with an ERROR naming the problem and keeps serving', async () => {
    const m = models.gmmqf!;
    const robot = await scriptedRobot(dir, { obsSize: 4, actionSize: 1 });
    const { c, summary } = run({ model: m.bytes, rateHz: 0 }, robot);
    await robot.waitFor((f) => f.type === FrameType.HELLO, 'HELLO');
    const errors = () => robot.received.filter((f) => f.type === FrameType.ERROR);
    robot.send(obsFrame(0, [0.1, 0.2, 0.3])); // 3 values, the model takes 4
    const e1 = await robot.waitFor((f) => f.type === FrameType.ERROR, 'ERROR 1');
    expect(e1.aux).to.equal(ErrorCode.BAD_OBS_SIZE);
    expect(e1.payload.toString()).to.match(/OBS seq 0 has 12 payload bytes \(3 float32\), the model expects 4 float32/);
    robot.send(obsFrame(1, [0.1, NaN, 0.3, 0.4]));
    await robot.waitFor((f) => f.type === FrameType.ERROR && f.aux === ErrorCode.BAD_OBS_VALUE, 'ERROR 2');
    expect(errors()[1]!.payload.toString()).to.match(/obs\[1\] is NaN; observations must be finite/);
    const weird = Buffer.alloc(HEADER_BYTES);
    writeHeader(weird, 0, 9 as FrameType, 0, 0, 0);
    robot.send(weird);
    await robot.waitFor((f) => f.type === FrameType.ERROR && /frame type 9 \(unknown\)/.test(f.payload.toString()), 'ERROR 3');
    const act = Buffer.alloc(floatFrameBytes(1));
    encodeScalarAction(act, 0, 0, 1);
    robot.send(act);
    await robot.waitFor(
      (f) => f.type === FrameType.ERROR && /frame type 3 \(ACTION\) was sent to the controller/.test(f.payload.toString()),
      'ERROR 4',
    );
    expect(
      errors().every((e) => e.aux === ErrorCode.BAD_OBS_SIZE || e.aux === ErrorCode.BAD_OBS_VALUE || e.aux === ErrorCode.UNEXPECTED_TYPE),
    ).to.equal(true);
    // still serving: a good observation gets an action
    robot.send(obsFrame(2, [0.1, 0.2, 0.3, 0.4]));
    const a = await robot.waitFor((f) => f.type === FrameType.ACTION, 'ACTION');
    expect(a.aux).to.equal(2);
    c.stop();
    const s = await summary;
    expect(s.stopReason).to.equal('stop');
    expect(s.badFramesReceived).to.equal(4);
    expect(s.errorsSent).to.equal(4);
    robot.server.close();
  });

  it('closes the connection after a frame with a bad magic, with an ERROR first', async () => {
    const m = models.gmmqf!;
    const robot = await scriptedRobot(dir, { obsSize: 4, actionSize: 1 });
    const { summary } = run({ model: m.bytes, rateHz: 0 }, robot);
    await robot.waitFor((f) => f.type === FrameType.HELLO, 'HELLO');
    robot.send(obsFrame(0, [0, 0, 0, 0]));
    await robot.waitFor((f) => f.type === FrameType.ACTION, 'ACTION');
    robot.send(Buffer.from('hello robot, here are some bytes'));
    const e = await robot.waitFor((f) => f.type === FrameType.ERROR, 'ERROR');
    expect(e.aux).to.equal(ErrorCode.BAD_MAGIC);
    await robot.closed;
    const s = await summary;
    expect(s.stopReason).to.equal('protocol-error');
    expect(s.error).to.match(/bad frame magic/);
    robot.server.close();
  });

  it('refuses a robot whose sizes do not match the model', async () => {
    const m = models.gmmqf!;
    const robot = await scriptedRobot(dir, { obsSize: 5, actionSize: 1 });
    const c = new Controller({ model: m.bytes, socket: robot.path, rateHz: 100, warmup: 0 });
    await c.start();
    const s = await c.done;
    expect(s.stopReason).to.equal('handshake-failed');
    expect(s.error).to.match(/reports observation size 5 \(the model takes 4/);
    const e = await robot.waitFor((f) => f.type === FrameType.ERROR, 'ERROR');
    expect(e.aux).to.equal(ErrorCode.BAD_HELLO);
    robot.server.close();
  });

  it('validates its options with messages that name the value and the fix', () => {
    expect(() => new Controller({ model: 'x.onnx', rateHz: -1 })).to.throw(/rate = -1; expected a number of Hz ≥ 0/);
    expect(() => new Controller({ model: 'x.onnx', rateHz: 10, wait: 'nap' as never })).to.throw(
      /wait = "nap"; expected one of hybrid, sleep, immediate, spin, timer/,
    );
    expect(() => new Controller({ rateHz: 10 })).to.throw(/pass a model path/);
  });
});

describe('examples/robot-loop sim-robot', function () {
  this.timeout(60000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'gmmrl-sim-spec-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function client(path: string): Promise<{ s: Socket; frames: Frame[]; next: (type: number) => Promise<Frame> }> {
    const frames: Frame[] = [];
    const s = connect({ path });
    await new Promise((r) => s.once('connect', r));
    const waiters: [number, (f: Frame) => void][] = [];
    const dec = new FrameDecoder(
      (type, seq, aux, buf, off, len) => {
        const f = { type, seq, aux, payload: Buffer.from(buf.subarray(off, off + len)) };
        frames.push(f);
        const i = waiters.findIndex(([t]) => t === type);
        if (i >= 0) waiters.splice(i, 1)[0]![1](f);
      },
      () => undefined,
    );
    s.on('data', (d) => dec.push(d));
    let seen = 0;
    const next = (type: number) =>
      new Promise<Frame>((resolve) => {
        const idx = frames.findIndex((f, i) => i >= seen && f.type === type);
        if (idx >= 0) {
          seen = idx + 1;
          return resolve(frames[idx]!);
        }
        waiters.push([type, (f) => ((seen = frames.indexOf(f) + 1), resolve(f))]);
      });
    return { s, frames, next };
  }

  it("simulates the model's environment, applies valid actions and refuses bad ones", async () => {
    const path = join(dir, 'sim.sock');
    const robot = new SimRobot({ socket: path, seed: 3 });
    await robot.listen();
    const { s, next } = await client(path);
    s.write(
      encodeJson(FrameType.HELLO, {
        protocol: 2,
        role: 'controller',
        family: 'mixture-actor',
        envId: 'Pendulum-v1',
        obsSize: 3,
        actionSize: 1,
        actionKind: 'box',
        numActions: 0,
        rateHz: 500,
      }),
    );
    const hello = JSON.parse((await next(FrameType.HELLO)).payload.toString());
    expect(hello).to.include({ role: 'robot', obsSize: 3, actionSize: 1 });
    const o0 = await next(FrameType.OBS);
    expect(o0.seq).to.equal(0);
    expect(o0.aux & OBS_FLAG_RESET).to.equal(OBS_FLAG_RESET);
    const [c, sn] = floats(o0.payload);
    expect(c! * c! + sn! * sn!).to.be.closeTo(1, 1e-6); // (cos θ, sin θ, θ̇): a real Pendulum observation
    const a = Buffer.alloc(floatFrameBytes(1));
    encodeFloatFrame(a, FrameType.ACTION, 0, 0, [1.5]);
    s.write(a);
    expect((await next(FrameType.OBS)).seq).to.equal(1);
    const bad = Buffer.alloc(floatFrameBytes(2));
    encodeFloatFrame(bad, FrameType.ACTION, 1, 1, [0, 0]);
    s.write(bad);
    expect((await next(FrameType.ERROR)).payload.toString()).to.match(
      /ACTION tick 1 has 2 float32 values; this robot takes 1\. Not applied\./,
    );
    encodeFloatFrame(a, FrameType.ACTION, 1, 1, [NaN]);
    s.write(a);
    expect((await next(FrameType.ERROR)).payload.toString()).to.match(/action\[0\] is NaN; not applied/);
    const ended = robot.nextSession();
    s.write(encodeJson(FrameType.BYE, { stopReason: 'stop' }));
    const summary = await ended;
    expect(summary).to.include({ env: 'Pendulum-v1', actions: 1, badActions: 2, endedBy: 'bye' });
    s.destroy();
    await robot.close();
  });

  it("refuses a discrete action outside the environment's range", async () => {
    const path = join(dir, 'sim2.sock');
    const robot = new SimRobot({ socket: path, env: 'CartPole-v1' });
    await robot.listen();
    const { s, next } = await client(path);
    s.write(
      encodeJson(FrameType.HELLO, {
        protocol: 2,
        role: 'controller',
        family: 'dqn',
        envId: 'whatever',
        obsSize: 4,
        actionSize: 1,
        actionKind: 'discrete',
        numActions: 2,
        rateHz: 0,
      }),
    );
    await next(FrameType.OBS);
    const a = Buffer.alloc(floatFrameBytes(1));
    encodeScalarAction(a, 0, 0, 2);
    s.write(a);
    expect((await next(FrameType.ERROR)).payload.toString()).to.match(/discrete action 2 is not an index in 0…1/);
    encodeScalarAction(a, 1, 0, 1);
    s.write(a);
    expect((await next(FrameType.OBS)).seq).to.equal(1);
    s.destroy();
    await robot.close();
  });
});

describe('examples/robot-loop processes', function () {
  this.timeout(120000);

  it('SIGINT stops the controller cleanly: exit 0, BYE to the robot, a JSON summary on stdout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gmmrl-sigint-'));
    try {
      const model = join(dir, 'policy.onnx');
      writeFileSync(model, buildBenchModel('gmmqf').bytes);
      const sock = join(dir, 'robot.sock');
      const sim = spawn(process.execPath, [SIM_ROBOT_JS, '--socket', sock, '--once'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let simOut = '';
      sim.stdout.setEncoding('utf8').on('data', (d: string) => (simOut += d));
      const simExit = new Promise<number | null>((r) => sim.on('exit', r));
      while (!simOut.includes('"listening"')) await new Promise((r) => setTimeout(r, 20));
      const ctl = spawn(process.execPath, [CONTROLLER_JS, '--model', model, '--socket', sock, '--rate', '500', '--warmup', '10'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      ctl.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      ctl.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      const exit = new Promise<number | null>((r) => ctl.on('exit', r));
      const t0 = Date.now();
      while (!err.includes('controller: running')) {
        if (Date.now() - t0 > 30_000) throw new Error(`the controller did not start:\n${err}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 300));
      ctl.kill('SIGINT');
      expect(await exit, err).to.equal(0);
      const summary = JSON.parse(out.trim().split('\n').at(-1)!) as ControllerSummary;
      expect(summary.stopReason).to.equal('SIGINT');
      expect(summary.actions).to.be.greaterThan(0);
      expect(summary.model).to.include({ family: 'gmmqf', obsSize: 4, actionSize: 1 });
      expect(err).to.match(/controller: SIGINT, stopping/);
      expect(await simExit).to.equal(0);
      const session = JSON.parse(simOut.trim().split('\n').at(-1)!);
      expect(session).to.include({ event: 'session', env: 'synthetic', endedBy: 'bye' });
      expect(session.actions).to.equal(summary.actions);
      expect(session.controllerBye).to.deep.equal({ stopReason: 'SIGINT', actions: summary.actions });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("exits 2 with the flag parser's message on a bad flag, and 1 when no robot listens", async () => {
    const runCtl = (args: string[]) =>
      new Promise<{ code: number | null; err: string }>((resolve) => {
        const p = spawn(process.execPath, [CONTROLLER_JS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let err = '';
        p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
        p.on('exit', (code) => resolve({ code, err }));
      });
    const a = await runCtl(['--model', 'x.onnx', '--wait', 'nap']);
    expect(a.code).to.equal(2);
    expect(a.err).to.match(/--wait must be one of hybrid, sleep, immediate, spin, timer; got "nap"/);
    const dir = mkdtempSync(join(tmpdir(), 'gmmrl-noconn-'));
    try {
      const model = join(dir, 'policy.onnx');
      writeFileSync(model, buildBenchModel('gmmqf').bytes);
      const b = await runCtl(['--model', model, '--socket', join(dir, 'nobody.sock'), '--connect-timeout', '0.2']);
      expect(b.code).to.equal(1);
      expect(b.err).to.match(/cannot connect to the robot at .*nobody\.sock.*Start the robot \(or sim-robot\.js\) first/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('examples/robot-loop demo-model', function () {
  this.timeout(120000);

  it('builds the benchmark models from the public gmmrl API: the same parameters as bench/models.ts, loadable, sized for the sim robot', async () => {
    expect([...DEMO_FAMILIES]).to.deep.equal([...BENCH_FAMILIES]);
    for (const family of DEMO_FAMILIES) {
      const demo = buildDemoModel(family);
      const bench = buildBenchModel(family);
      expect(demo.spec, family).to.deep.equal(bench.spec);
      expect(demo.envId, family).to.equal(bench.envId);
      expect(demo.label, family).to.equal(bench.label);
      const policy = await loadPolicy(demo.bytes, { executionProviders: ['cpu'] });
      try {
        expect(policy.info.family).to.equal(family);
        expect(policy.info.observationSize, family).to.equal(bench.obsSize);
        expect(policy.info.actionSize, family).to.equal(bench.actionSize);
        expect(policy.info.metadata.env_id).to.equal(demo.envId);
      } finally {
        await policy.dispose();
      }
    }
  });
});
