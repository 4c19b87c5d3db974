/**
 * The robot loop under load (issue 5 §5–6): the example controller (examples/robot-loop/controller.ts)
 * serving a simulated robot (sim-robot.ts) over a Unix domain socket, each in its own process, as a
 * user would run them:
 *
 *   node dist/bench/robot-loop.js [--family=mixture-actor] [--rate=1000] [--duration=60] [--rss-actions=1000000]
 *        [--compare-waits=10] [--wait=hybrid] [--quick] [--json] [--out=bench/results]
 *
 * Phases:
 *   paced      --rate Hz for --duration s with --wait: latency p50/p99/p99.9/max (tick deadline →
 *              action written), deadline misses, stale observations, the robot's view (interval
 *              between actions), RSS before/after, GC pauses, CPU use
 *   memory     --rss-actions actions free-running (--rate 0: one action per fresh observation, as
 *              fast as the round trip allows; 10⁶ actions at 1 kHz would take 17 minutes, and the hot
 *              path is the same): RSS and heap after a forced GC before and after, RSS every 50 000
 *   waits      each wait strategy (hybrid, sleep, immediate, spin, timer) for --compare-waits s at --rate:
 *              the measurement behind the README's choice (0 skips)
 *
 * Model: bench/models.ts `buildBenchModel(--family)` (default the mixture actor 2 × 256, K = 5 on
 * Pendulum-v1, which the robot simulates for real; the D = 4 Q models get the synthetic robot).
 * The controller runs as `node --expose-gc --min-semi-space-size=16 --max-semi-space-size=16` (the
 * README's recommended flags): the RSS readings follow a full GC (outside the timed loop), and
 * V8's young generation has its final size from the start instead of growing 4 → 16 MB under load
 * (which would read as RSS growth). The memory phase warms the policy up with 20 000 calls first.
 * "No memory growth" is judged on the second half of the memory phase: RSS (sampled after a full
 * GC every 5 % of the actions, --rss-gc) must grow < 1 MiB from the middle sample to the end. A leak is linear — one 16-byte
 * object per action would add 8 MB over 5·10⁵ actions — while allocator arenas settle early: a bare
 * onnxruntime-node session.run loop grows ~3 MB over its first 4·10⁵ calls, then stays flat. The
 * total growth before → after is reported next to it.
 *
 * Nothing else heavy should run meanwhile (the controller spins on one core, the robot needs the
 * other); the load average at the start is recorded. Results: bench/results/robot-loop.{json,md}.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, ValueError, GMMRL_VERSION, FAMILY } from 'gmmrl';
import { BENCH_FAMILIES, buildBenchModel, type BenchFamily } from './models.js';
import { describeLoad, fmtUs, hostInfo, markdownTable, type HostInfo, writeReport, runIfScript } from './stats.js';

export const FLAGS = {
  family: { type: 'string' as const, help: 'model family to serve', choices: BENCH_FAMILIES, default: FAMILY.mixtureActor },
  rate: { type: 'number' as const, help: 'control rate in Hz', default: 1000 },
  duration: { type: 'number' as const, help: 'seconds of the paced phase', default: 60 },
  'rss-actions': { type: 'int' as const, help: 'actions of the free-running memory phase (0: skip)', default: 1_000_000 },
  'compare-waits': { type: 'number' as const, help: 'seconds per wait strategy in the comparison (0: skip)', default: 10 },
  wait: {
    type: 'string' as const,
    help: 'wait strategy of the paced phase',
    choices: ['hybrid', 'sleep', 'immediate', 'spin', 'timer'],
    default: 'hybrid',
  },
  quick: { type: 'boolean' as const, help: 'tiny run for tests (2 s paced, 5000 actions, 1 s per wait strategy)', default: false },
  json: { type: 'boolean' as const, help: 'print the report as JSON', default: false },
  out: { type: 'string' as const, help: 'directory for robot-loop.{md,json} ("" to skip writing)', default: 'bench/results' },
};

/** A latency summary in µs, as the example's histograms print it. */
export interface LatencyUs {
  n: number;
  meanUs: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
}

/** The controller's wait strategies (its --wait flag). */
export type WaitStrategy = 'hybrid' | 'sleep' | 'immediate' | 'spin' | 'timer';

/**
 * The controller's summary, the JSON line it prints on exit (examples/robot-loop/controller.ts,
 * ControllerSummary, has every field), as far as the bench reads it. The bench runs the example's
 * compiled scripts as processes and reads what they print; it imports nothing from examples/.
 */
export interface ControllerSummary {
  stopReason: string;
  rateHz: number;
  wait: WaitStrategy;
  actions: number;
  elapsedS: number;
  achievedHz: number;
  latency: LatencyUs;
  compute: LatencyUs;
  wakeLate: LatencyUs;
  deadlineMisses: number;
  late: number;
  skipped: number;
  staleObservations: number;
  robotErrors: string[];
  memory: {
    rssBeforeBytes: number;
    rssAfterBytes: number;
    rssGrowthBytes: number;
    heapUsedBeforeBytes: number;
    heapUsedAfterBytes: number;
    gcBeforeReadings: boolean;
    /** [actions, rss bytes] every rssEvery actions. */
    rssSamples: [number, number][];
  };
  gc: { count: number; maxMs: number };
  cpu: { utilization: number };
  [field: string]: unknown;
}

/** The sim robot's session summary, the JSON line it prints per session (examples/robot-loop/sim-robot.ts, SessionSummary), as far as the bench reads it. */
export interface SessionSummary {
  event: 'session';
  actions: number;
  staleActions: number;
  interval: LatencyUs;
  endedBy: string;
  [field: string]: unknown;
}

/** RSS growth over the second half of the memory phase below which "no memory growth" holds (see the module comment). */
export const RSS_GROWTH_LIMIT_BYTES = 1024 * 1024;
/** node flags of every controller the bench starts (see the module comment). */
export const CONTROLLER_NODE_FLAGS = ['--min-semi-space-size=16', '--max-semi-space-size=16'];

export interface PhaseResult {
  phase: string;
  command: string;
  controller: ControllerSummary;
  robot: SessionSummary | null;
  controllerExit: number | null;
}

export interface RobotLoopReport {
  bench: 'robot-loop';
  gmmrlVersion: string;
  host: HostInfo;
  model: { family: BenchFamily; label: string; envId: string; bytes: number };
  settings: { rateHz: number; durationS: number; rssActions: number; compareWaitsS: number; wait: WaitStrategy; quick: boolean };
  phases: PhaseResult[];
  targets: { what: string; target: string; measured: string; met: boolean }[];
}

const here = fileURLToPath(new URL('.', import.meta.url));
export const CONTROLLER_JS = join(here, '..', 'examples', 'robot-loop', 'controller.js');
export const SIM_ROBOT_JS = join(here, '..', 'examples', 'robot-loop', 'sim-robot.js');

function lastJsonLine<T>(text: string, pred: (o: Record<string, unknown>) => boolean): T | null {
  const lines = text.trim().split('\n').reverse();
  for (const l of lines) {
    if (!l.startsWith('{')) continue;
    try {
      const o = JSON.parse(l) as Record<string, unknown>;
      if (pred(o)) return o as T;
    } catch {
      /* not JSON */
    }
  }
  return null;
}

/**
 * Runs one controller + sim-robot pair to completion. `controllerArgs` go to controller.js after
 * --model and --socket. Returns both summaries; throws with both processes' stderr when the
 * controller produced no summary.
 */
export async function runPair(
  modelPath: string,
  socket: string,
  controllerArgs: string[],
  opts: { simArgs?: string[]; nodeFlags?: string[]; log?: (l: string) => void } = {},
): Promise<Omit<PhaseResult, 'phase'>> {
  const sim = spawn(process.execPath, [SIM_ROBOT_JS, '--socket', socket, '--once', '--quiet', ...(opts.simArgs ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let simOut = '';
  let simErr = '';
  sim.stdout.setEncoding('utf8').on('data', (d: string) => (simOut += d));
  sim.stderr.setEncoding('utf8').on('data', (d: string) => (simErr += d));
  const simExit = new Promise<number | null>((r) => sim.on('exit', (code) => r(code)));
  // wait for the robot to listen
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (simOut.includes('"listening"')) resolve();
      else if (sim.exitCode !== null) reject(new Error(`sim-robot exited with ${sim.exitCode} before listening:\n${simErr}`));
      else setTimeout(check, 20);
    };
    check();
  });
  const args = [
    '--expose-gc',
    ...(opts.nodeFlags ?? []),
    CONTROLLER_JS,
    '--model',
    modelPath,
    '--socket',
    socket,
    '--quiet',
    ...controllerArgs,
  ];
  const command = `node ${args.join(' ')}`.replace(CONTROLLER_JS, 'dist/examples/robot-loop/controller.js');
  opts.log?.(`robot-loop: ${command}`);
  const ctl = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  ctl.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  ctl.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const code = await new Promise<number | null>((r) => ctl.on('exit', (c) => r(c)));
  const simTimer = setTimeout(() => sim.kill('SIGINT'), 5000);
  await simExit;
  clearTimeout(simTimer);
  const controller = lastJsonLine<ControllerSummary>(out, (o) => 'stopReason' in o);
  if (!controller)
    throw new Error(`the controller (exit ${code}) printed no summary.\ncontroller stderr:\n${err}\nsim-robot stderr:\n${simErr}`);
  const robot = lastJsonLine<SessionSummary>(simOut, (o) => o['event'] === 'session');
  return { command, controller, robot, controllerExit: code };
}

function targets(r: RobotLoopReport): RobotLoopReport['targets'] {
  const out: RobotLoopReport['targets'] = [];
  const paced = r.phases.find((p) => p.phase === 'paced');
  if (paced) {
    const c = paced.controller;
    out.push({
      what: `holds ${r.settings.rateHz} Hz for ${r.settings.durationS} s`,
      target: '0 deadline misses',
      measured: `${c.actions} actions in ${c.elapsedS.toFixed(2)} s (${c.achievedHz.toFixed(1)} Hz), ${c.deadlineMisses} misses (${c.late} late, ${c.skipped} skipped)`,
      met: c.deadlineMisses === 0 && c.stopReason === 'duration',
    });
    out.push({
      what: 'latency p99 (tick deadline → action written)',
      target: '< 1 ms',
      measured: `${fmtUs(c.latency.p99Us)} µs (p99.9 ${fmtUs(c.latency.p999Us)} µs, max ${fmtUs(c.latency.maxUs)} µs)`,
      met: c.latency.p99Us < 1000,
    });
  }
  const mem = r.phases.find((p) => p.phase === 'memory');
  if (mem) {
    const m = mem.controller.memory;
    const half = secondHalfGrowth(m.rssSamples);
    out.push({
      what: `no memory growth over ${mem.controller.actions.toLocaleString('en-US')} actions: RSS from the middle of the run to the end (total before → after a full GC in brackets)`,
      target: `< ${RSS_GROWTH_LIMIT_BYTES / 1048576} MiB`,
      measured:
        `${half === null ? 'n/a' : `${half.bytes >= 0 ? '+' : ''}${(half.bytes / 1048576).toFixed(2)} MiB from action ${half.from.toLocaleString('en-US')} to ${half.to.toLocaleString('en-US')}`} ` +
        `(${(m.rssBeforeBytes / 1048576).toFixed(1)} → ${(m.rssAfterBytes / 1048576).toFixed(1)} MiB, ${m.rssGrowthBytes >= 0 ? '+' : ''}${(m.rssGrowthBytes / 1048576).toFixed(2)} MiB; heap used ${(m.heapUsedBeforeBytes / 1048576).toFixed(1)} → ${(m.heapUsedAfterBytes / 1048576).toFixed(1)} MiB)`,
      met: half !== null && half.bytes < RSS_GROWTH_LIMIT_BYTES && mem.controller.stopReason === 'actions',
    });
  }
  return out;
}

/** RSS change from the sample at the middle of the run to the last sample, or null with fewer than 3 samples. */
export function secondHalfGrowth(samples: [number, number][]): { from: number; to: number; bytes: number } | null {
  if (samples.length < 3) return null;
  const mid = samples[Math.floor((samples.length - 1) / 2)]!;
  const last = samples[samples.length - 1]!;
  return { from: mid[0], to: last[0], bytes: last[1] - mid[1] };
}

function phaseRow(p: PhaseResult): string[] {
  const c = p.controller;
  const r = p.robot;
  return [
    p.phase,
    c.rateHz > 0 ? `${c.rateHz} Hz` : 'free-run',
    c.wait,
    c.stopReason,
    c.actions.toLocaleString('en-US'),
    `${c.elapsedS.toFixed(1)} s`,
    c.achievedHz.toFixed(1),
    fmtUs(c.latency.p50Us),
    fmtUs(c.latency.p99Us),
    fmtUs(c.latency.p999Us),
    fmtUs(c.latency.maxUs),
    fmtUs(c.compute.p50Us),
    c.rateHz > 0 ? fmtUs(c.wakeLate.p99Us) : '—',
    String(c.deadlineMisses),
    `${c.staleObservations} / ${r ? r.staleActions : '—'}`,
    r ? `${fmtUs(r.interval.p50Us)} / ${fmtUs(r.interval.p99Us)} / ${fmtUs(r.interval.maxUs)}` : '—',
    `${c.gc.count} / ${c.gc.maxMs.toFixed(2)} ms`,
    `${Math.round(c.cpu.utilization * 100)} %`,
  ];
}

export function markdown(r: RobotLoopReport, command: string): string {
  const L: string[] = [];
  L.push('# Robot loop (bench/robot-loop.ts)');
  L.push('');
  L.push(
    `Command: \`${command}\`. gmmrl ${r.gmmrlVersion}; ${r.host.cpu} × ${r.host.cores} cores (${describeLoad(r.host)}); Node ${r.host.node}. ` +
      `Model: ${r.model.label} (${r.model.family}, ${r.model.bytes} bytes, env ${r.model.envId}), onnxruntime-node cpu, one intra-op thread, greedy. ` +
      'Controller and simulated robot are separate processes on a Unix domain socket.',
  );
  L.push('');
  const head = [
    'phase',
    'rate',
    'wait',
    'stop',
    'actions',
    'elapsed',
    'achieved Hz',
    'latency p50 µs',
    'p99 µs',
    'p99.9 µs',
    'max µs',
    'compute p50 µs',
    'wake late p99 µs',
    'deadline misses',
    'stale: ticks / actions at robot',
    'robot interval p50 / p99 / max µs',
    'GC count / max pause',
    'controller CPU',
  ];
  L.push(
    markdownTable(
      head,
      r.phases.map(phaseRow),
      head.map((_, i) => i >= 4 && i !== 14 && i !== 15),
    ),
  );
  L.push('');
  L.push(
    "Latency: paced phases from the tick's scheduled time t_k to the ACTION frame written to the socket (wake-up jitter + policy + encoding + write); free-run from the observation's arrival. Compute: tick start → written. A deadline miss is an action written after t_k + T, or a tick skipped because its whole window had passed. Stale: ticks that found no observation newer than the previous tick's (controller), and actions computed from an observation older than the newest the robot had sent (robot). Robot interval: time between consecutive actions arriving at the robot.",
  );
  L.push('');
  const mem = r.phases.find((p) => p.phase === 'memory');
  if (mem) {
    const m = mem.controller.memory;
    L.push(
      `Memory phase: RSS ${(m.rssBeforeBytes / 1048576).toFixed(2)} MiB before, ${(m.rssAfterBytes / 1048576).toFixed(2)} MiB after ${mem.controller.actions.toLocaleString('en-US')} actions (readings after a forced GC: ${m.gcBeforeReadings}); heap used ${(m.heapUsedBeforeBytes / 1048576).toFixed(2)} → ${(m.heapUsedAfterBytes / 1048576).toFixed(2)} MiB. RSS after a full GC every ${(m.rssSamples[0]?.[0] ?? 0).toLocaleString('en-US')} actions (MiB): ${m.rssSamples.map(([, b]) => (b / 1048576).toFixed(1)).join(', ')}.`,
    );
    L.push('');
  }
  L.push('Targets (issue 5 §6):');
  L.push('');
  L.push(
    markdownTable(
      ['what', 'target', 'measured', 'met'],
      r.targets.map((t) => [t.what, t.target, t.measured, t.met ? 'yes' : '**no**']),
      [false, false, false, false],
    ),
  );
  L.push('');
  L.push('Commands of each phase (paths relative to the repository root):');
  L.push('');
  for (const p of r.phases)
    L.push(
      `- ${p.phase}: \`node dist/examples/robot-loop/sim-robot.js --socket SOCKET --once\` and \`${p.command.replace(/--model \S+/, '--model MODEL.onnx').replace(/--socket \S+/, '--socket SOCKET')}\``,
    );
  L.push('');
  return L.join('\n');
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<RobotLoopReport> {
  const { flags } = parseArgs('bench robot-loop', argv, FLAGS);
  const quick = flags.quick as boolean;
  const family = flags.family as BenchFamily;
  const rate = flags.rate as number;
  const duration = quick ? 2 : (flags.duration as number);
  const rssActions = quick ? 5000 : (flags['rss-actions'] as number);
  const compareS = quick ? 1 : (flags['compare-waits'] as number);
  const wait = flags.wait as WaitStrategy;
  if (!(rate > 0)) throw new ValueError(`bench robot-loop: --rate is ${rate}; it must be > 0 Hz.`);
  if (!(duration > 0)) throw new ValueError(`bench robot-loop: --duration is ${duration}; it must be > 0 seconds.`);
  if (!(rssActions >= 0)) throw new ValueError(`bench robot-loop: --rss-actions is ${rssActions}; use 0 to skip or a positive integer.`);
  if (!(compareS >= 0)) throw new ValueError(`bench robot-loop: --compare-waits is ${compareS}; use 0 to skip or a number of seconds.`);
  const json = flags.json as boolean;
  const log = (l: string) => {
    if (!json) console.error(l);
  };
  const host = await hostInfo(quick ? 0 : 1000);
  const model = buildBenchModel(family);
  const dir = mkdtempSync(join(tmpdir(), 'gmmrl-robot-loop-'));
  const modelPath = join(dir, `${family}.onnx`);
  writeFileSync(modelPath, model.bytes);
  const socket = join(dir, 'robot.sock');
  const phases: PhaseResult[] = [];
  try {
    const nodeFlags = CONTROLLER_NODE_FLAGS;
    const paced = await runPair(modelPath, socket, ['--rate', String(rate), '--duration', String(duration), '--wait', wait], {
      log,
      nodeFlags,
    });
    phases.push({ phase: 'paced', ...paced });
    if (rssActions > 0) {
      const every = Math.max(1, Math.round(rssActions / 20));
      const mem = await runPair(
        modelPath,
        socket,
        [
          '--rate',
          '0',
          '--actions',
          String(rssActions),
          '--warmup',
          String(quick ? 2000 : 20000),
          '--rss-every',
          String(every),
          '--rss-gc',
        ],
        { log, nodeFlags },
      );
      phases.push({ phase: 'memory', ...mem });
    }
    if (compareS > 0) {
      for (const w of ['hybrid', 'sleep', 'immediate', 'spin', 'timer'] as const) {
        const p = await runPair(
          modelPath,
          socket,
          ['--rate', String(rate), '--duration', String(compareS), '--wait', w, '--rss-every', '0'],
          { log, nodeFlags },
        );
        phases.push({ phase: `wait ${w}`, ...p });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const report: RobotLoopReport = {
    bench: 'robot-loop',
    gmmrlVersion: GMMRL_VERSION,
    host,
    model: { family, label: model.label, envId: model.envId, bytes: model.bytes.length },
    settings: { rateHz: rate, durationS: duration, rssActions, compareWaitsS: compareS, wait, quick },
    phases,
    targets: [],
  };
  report.targets = targets(report);
  writeReport('robot-loop', argv, report, (command) => markdown(report, command), flags.out as string, json);
  return report;
}

runIfScript(import.meta.url, main);
