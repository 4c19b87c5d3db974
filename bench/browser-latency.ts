/**
 * Inference speed in a real browser (issue 5 §6, the browser slice): single-observation latency
 * p50/p99 and batch throughput of gmmrl/runtime's web entry on onnxruntime-web (wasm, one thread)
 * inside headless Chromium, for the same models bench/policy-latency.ts times in Node
 * (bench/models.ts: GMM-QF K = 50, DQN 2 × 64, mixture actor 2 × 256 K = 5, Gamid actor C = 5).
 *
 *   npm run build && node dist/bench/browser-latency.js [--calls=3000] [--batch=1024] [--batch-runs=50]
 *        [--families=gmmqf,dqn,mixture-actor,gamid-actor] [--ort=wasm,default] [--quick] [--json] [--out=bench/results]
 *
 * Both onnxruntime-web builds a page can carry are measured (scripts/build-browser.mjs --ort): the
 * WebAssembly-only `onnxruntime-web/wasm` (the example page's default) and the default
 * `onnxruntime-web` (wasm + WebGPU, JSEP), whose session.run is slower and has millisecond stalls.
 *
 * How: the example page (examples/browser) is bundled into a temporary folder, served on an
 * ephemeral port with COOP/COEP headers (a cross-origin-isolated page: Chromium's performance.now()
 * then ticks in 5 µs steps instead of 100 µs; the page still runs onnxruntime-web on one wasm
 * thread), and opened in Debian's chromium (/usr/bin/chromium, or GMMRL_CHROMIUM) through
 * playwright-core. For each model the page loads the ONNX file and `window.gmmrlPage.latency`
 * times `policy.act(obs, { mode: 'greedy' })` inside the page: warm-up (a tenth of the calls, at
 * least 100, and at least 2 s: Chromium tiers the onnxruntime wasm up in the background after
 * startup, which showed as millisecond p99s on whichever model ran first), then every call timed alone with performance.now(), cycling through a pool of 256
 * observations (BenchModel.observations); percentiles are nearest-rank. Batch: N rows, 2 warm-up
 * runs, --batch-runs timed runs, throughput = N / median run time. Results:
 * bench/results/browser-latency.{json,md}.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildBundle, CHROMIUM, openPage, type OrtBuild } from './browser-harness.js';
import { GMMRL_VERSION, ValueError, parseArgs } from 'gmmrl';
import { BENCH_FAMILIES, buildBenchModel, type BenchFamily } from './models.js';
import { fmtRate, hostInfo, markdownTable, type HostInfo, writeReport } from './stats.js';

export const FLAGS = {
  calls: { type: 'int' as const, help: 'single-observation calls per model', default: 3000 },
  batch: { type: 'int' as const, help: 'batch size N', default: 1024 },
  'batch-runs': { type: 'int' as const, help: 'timed batch runs per model', default: 50 },
  families: { type: 'string' as const, help: 'comma-separated families', default: BENCH_FAMILIES.join(',') },
  ort: { type: 'string' as const, help: 'onnxruntime-web builds: comma-separated subset of wasm,default', default: 'wasm,default' },
  quick: { type: 'boolean' as const, help: 'tiny run for tests (100 calls, batches of 64, 5 runs)', default: false },
  json: { type: 'boolean' as const, help: 'print the report as JSON', default: false },
  out: { type: 'string' as const, help: 'directory for browser-latency.{md,json} ("" to skip writing)', default: 'bench/results' },
};

export interface BrowserLatencyRow {
  /** The onnxruntime-web build in the page bundle: 'wasm' (onnxruntime-web/wasm) or 'default' (wasm + WebGPU). */
  ortBuild: OrtBuild;
  family: BenchFamily;
  model: string;
  bytes: number;
  calls: number;
  singleP50us: number;
  singleP99us: number;
  singleMeanUs: number;
  batchN: number;
  batchRuns: number;
  batchMedianMs: number;
  batchObsPerSec: number;
}

export interface BrowserLatencyReport {
  bench: 'browser-latency';
  gmmrlVersion: string;
  host: HostInfo;
  browser: { executable: string; userAgent: string; crossOriginIsolated: boolean; timerResolutionUs: number };
  runtime: { backend: string; executionProvider: string; onnxruntimeWeb: string | null; wasmThreads: number | null };
  bundles: { ortBuild: OrtBuild; jsBytes: number; wasm: { file: string; bytes: number }[] }[];
  rows: BrowserLatencyRow[];
}

function markdown(r: BrowserLatencyReport, command: string): string {
  const head = [
    'onnxruntime-web build',
    'model',
    'bytes',
    'single p50',
    'single p99',
    'single mean',
    `batch ${r.rows[0]?.batchN ?? ''} (median)`,
    'batch obs/s',
  ];
  const body = r.rows.map((x) => [
    x.ortBuild === 'wasm' ? 'onnxruntime-web/wasm' : 'onnxruntime-web (default)',
    x.model,
    x.bytes,
    `${x.singleP50us.toFixed(0)} µs`,
    `${x.singleP99us.toFixed(0)} µs`,
    `${x.singleMeanUs.toFixed(0)} µs`,
    `${x.batchMedianMs.toFixed(2)} ms`,
    fmtRate(x.batchObsPerSec),
  ]);
  return [
    '# Browser inference latency (onnxruntime-web wasm in Chromium)',
    '',
    `Command: \`${command}\``,
    '',
    `${r.browser.userAgent}; ${r.runtime.backend} ${r.runtime.onnxruntimeWeb ?? ''}, execution provider ${r.runtime.executionProvider}, ` +
      `${r.runtime.wasmThreads ?? 'default'} wasm thread(s); cross-origin isolated: ${r.browser.crossOriginIsolated} ` +
      `(performance.now() resolution ${r.browser.timerResolutionUs.toFixed(1)} µs). Host: ${r.host.cpu}, ${r.host.cores} cores, load ${r.host.loadavg.join(' ')}.`,
    '',
    'policy.act(obs, { mode: "greedy" }) timed inside the page (gmmrl/runtime web entry: validation, noise feeds, output checks). ' +
      'Bundles: ' +
      r.bundles
        .map((b) => `${b.ortBuild}: main.js ${b.jsBytes} bytes + ${b.wasm.map((w) => `${w.file} ${w.bytes} bytes`).join(', ')}`)
        .join('; ') +
      '.',
    '',
    markdownTable(head, body),
    '',
  ].join('\n');
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<BrowserLatencyReport> {
  const { flags } = parseArgs('bench browser-latency', argv, FLAGS);
  const quick = flags.quick as boolean;
  const calls = quick ? 100 : (flags.calls as number);
  const batch = quick ? 64 : (flags.batch as number);
  const batchRuns = quick ? 5 : (flags['batch-runs'] as number);
  for (const [name, v] of [
    ['calls', calls],
    ['batch', batch],
    ['batch-runs', batchRuns],
  ] as const) {
    if (!(Number.isSafeInteger(v) && v >= 1))
      throw new ValueError(`bench browser-latency: --${name} is ${v}; it must be a positive integer.`);
  }
  if (batch < 2) throw new ValueError('bench browser-latency: --batch must be at least 2 (a batch of 1 is the single-observation case).');
  const families = String(flags.families)
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  for (const f of families) {
    if (!(BENCH_FAMILIES as readonly string[]).includes(f)) {
      throw new ValueError(
        `bench browser-latency: --families has ${JSON.stringify(f)}; expected a comma-separated subset of ${BENCH_FAMILIES.join(',')}.`,
      );
    }
  }
  const json = flags.json as boolean;
  const log = (l: string) => {
    if (!json) console.error(l);
  };
  const builds = String(flags.ort)
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  for (const b of builds) {
    if (b !== 'wasm' && b !== 'default')
      throw new ValueError(`bench browser-latency: --ort has ${JSON.stringify(b)}; expected a comma-separated subset of wasm,default.`);
  }
  const host = await hostInfo(quick ? 0 : 1000);
  const tmp = mkdtempSync(join(tmpdir(), 'gmmrl-browser-bench-'));
  try {
    const modelsDir = join(tmp, 'models');
    mkdirSync(modelsDir, { recursive: true });
    const models = (families as BenchFamily[]).map((f) => buildBenchModel(f));
    for (const m of models) writeFileSync(join(modelsDir, `${m.family}.onnx`), m.bytes);
    const rows: BrowserLatencyRow[] = [];
    const bundles: BrowserLatencyReport['bundles'] = [];
    let env = {
      userAgent: '',
      crossOriginIsolated: false,
      timerResolutionUs: NaN,
      backend: '',
      executionProvider: '',
      onnxruntimeWeb: null as string | null,
      wasmThreads: null as number | null,
    };
    for (const ortBuild of builds as OrtBuild[]) {
      const bundleDir = join(tmp, `dist-${ortBuild}`);
      const bundle = await buildBundle(bundleDir, ortBuild);
      bundles.push({ ortBuild, jsBytes: bundle.js.bytes, wasm: bundle.wasm });
      const session = await openPage(bundleDir, modelsDir, { isolate: true });
      try {
        for (const m of models) {
          log(`browser-latency: ${ortBuild} build, ${m.label} …`);
          const info = await session.page.evaluate(([f]) => window.gmmrlPage.load(`models/${f}.onnx`), [m.family] as const);
          const pool = m.observations(1, 256);
          const poolRows = Array.from({ length: 256 }, (_, i) => Array.from(pool.subarray(i * m.obsSize, (i + 1) * m.obsSize)));
          const r = await session.page.evaluate(([o]) => window.gmmrlPage.latency(o), [
            { rows: poolRows, calls, batch, batchRuns, warmupMs: quick ? 0 : 2000 },
          ] as const);
          env = {
            userAgent: info.userAgent,
            crossOriginIsolated: r.crossOriginIsolated,
            timerResolutionUs: r.timerResolutionUs,
            backend: info.backend,
            executionProvider: info.executionProvider,
            onnxruntimeWeb: info.ortVersion,
            wasmThreads: r.wasmThreads,
          };
          rows.push({
            ortBuild,
            family: m.family,
            model: m.label,
            bytes: m.bytes.length,
            calls: r.calls,
            singleP50us: r.singleP50us,
            singleP99us: r.singleP99us,
            singleMeanUs: r.singleMeanUs,
            batchN: r.batchN,
            batchRuns: r.batchRuns,
            batchMedianMs: r.batchMedianMs,
            batchObsPerSec: r.batchObsPerSec,
          });
        }
        if (session.errors.length > 0) throw new Error(`bench browser-latency: errors in the page: ${session.errors.join('; ')}`);
      } finally {
        await session.close();
      }
    }
    const report: BrowserLatencyReport = {
      bench: 'browser-latency',
      gmmrlVersion: GMMRL_VERSION,
      host,
      browser: {
        executable: CHROMIUM,
        userAgent: env.userAgent,
        crossOriginIsolated: env.crossOriginIsolated,
        timerResolutionUs: env.timerResolutionUs,
      },
      runtime: {
        backend: env.backend,
        executionProvider: env.executionProvider,
        onnxruntimeWeb: env.onnxruntimeWeb,
        wasmThreads: env.wasmThreads,
      },
      bundles,
      rows,
    };
    const written = writeReport('browser-latency', argv, report, (command) => markdown(report, command), flags.out as string, json);
    if (written) log(`browser-latency: wrote ${written} and .json`);
    return report;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}
