/**
 * The browser example in a real browser: Debian's chromium (headless, driven by playwright-core,
 * which downloads nothing) opens examples/browser/index.html with a freshly built bundle
 * (scripts/build-browser.mjs → a temporary folder) served by examples/browser/serve.ts, and the
 * page's onnxruntime-web (wasm execution provider) is checked against onnxruntime-node in this
 * process — twice: with the page's default onnxruntime-web/wasm build and with the default
 * onnxruntime-web build (wasm + WebGPU, what an unconfigured bundler picks):
 *
 *  - the bundle: no TensorFlow.js, no onnxruntime-node (strings and bundled inputs), gmmrl sources
 *    only from runtime/, sdk/envs, sdk/util/rng.ts and the page; sizes printed;
 *  - actions: for 64 observations per model, the page's act() (one batch, and each row alone)
 *    against onnxruntime-node's act() on the same rows, greedy and sampled (the same Rng seed on
 *    both sides, so the same noise): against onnxruntime-web's wasm build run in this Node process,
 *    every action is bitwise identical (the same wasm kernels); against onnxruntime-node, Q families'
 *    indices are identical and actors' float actions are not all bitwise equal (x64 and wasm SIMD
 *    kernels round differently; see FLOAT_ACTION_TOL) — the counts and the largest |difference| are
 *    printed; every float output (q, weights, …) within OUTPUT_NORMWISE_TOL;
 *  - episodes: a greedy episode (and a sampled one) in the page with a fixed seed against the same
 *    episode in Node (sdk/evaluate.ts runEpisodes over onnxruntime-node): same number of steps, same
 *    actions and the identical return (CartPole GMM-QF: discrete); Pendulum mixture actor: actions
 *    within FLOAT_ACTION_TOL, return within FLOAT_RETURN_RTOL;
 *  - the page draws: both canvases are non-blank, no page errors; screenshots are written to
 *    test-artifacts/browser/ (path printed);
 *  - at phone width (390 × 844) the page fits: no horizontal scroll, no element past the viewport,
 *    the controls inside it, the canvases scaled down with their aspect ratio (screenshot
 *    page-phone*.png); at 1280 px the two panes stand side by side at full canvas size;
 *  - a corrupt file through the file input shows "ModelFormatError: …" (class names survive
 *    minification), and the picker names a loaded local file instead of "(none)";
 *  - labels and status never print a negative zero ("-0.00");
 *  - serve.js --model PATH opens the page with that file (a golden exported model) loaded, and the
 *    model info shows policy.info.greedyGraph.
 *
 * Models: the two demo models (examples/browser/models.ts: CartPole GMM-QF, Pendulum mixture actor)
 * and the four benchmark models (bench/models.ts: GMM-QF K=50, DQN, mixture actor, Gamid actor).
 *
 * Without /usr/bin/chromium the suite is skipped, unless GMMRL_REQUIRE_BROWSER is set (CI sets it):
 * then it fails, saying how to install it.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buildBenchModel, BENCH_FAMILIES } from '../../bench/models.js';
import {
  buildBundle,
  CHROMIUM,
  openPage,
  ROOT,
  startPageServer,
  type BundleReport,
  type PageSession,
} from '../../bench/browser-harness.js';
import { cartpoleGmmQf, pendulumMixtureActor, writeDemoModels } from '../../examples/browser/models.js';
import { loadPolicy as loadNode } from '../../runtime/index.node.js';
import { loadPolicy as loadWebInNode } from '../../runtime/index.web.js';
import type { Policy } from '../../runtime/policy.js';
import { Rng } from '../../contract/rng.js';
import { make } from '../../sdk/envs/index.js';
import { runEpisodes } from '../../sdk/evaluate.js';

type Mode = 'greedy' | 'sample';
type ActionValue = number | number[];

const ARTIFACTS = join(ROOT, 'test-artifacts', 'browser');
/**
 * Largest |page − Node| allowed for a float action (env units; every actor here acts in [−2, 2]).
 * The two ONNX Runtime builds do not round identically: onnxruntime-node's MLAS kernels (x64
 * AVX2/AVX-512: the MatMul/Gemm summation order, the vectorized Tanh/Exp approximations) against
 * onnxruntime-web's WebAssembly SIMD128 kernels. Measured (Chromium 156, onnxruntime 1.30): 13–44
 * of 64 actions bitwise equal per model; the largest difference 4.8e-7 (demo actor), 1.7e-6 (greedy,
 * 2 × 256 mixture actor) and 1.3e-5 (sampled, same actor: x = mean + exp(log_std)·ε carries the
 * log_std rounding times σ·ε before the tanh). The bound is 64 float32 epsilons of the action range
 * (64 · 2⁻²³ · 4 ≈ 3.1e-5); a real discrepancy (another component, a missing tanh or scale) is
 * orders of magnitude larger.
 */
const FLOAT_ACTION_TOL = 64 * 2 ** -23 * 4;
/**
 * Largest relative |page − Node| allowed for an episode's return with float actions (the actions
 * differ by float32 rounding, above; Pendulum's dynamics carry that along for 200 steps). Measured
 * 1e-9 (greedy) and 7e-9 (sampled). Discrete actions (identical indices) must give identical returns.
 */
const FLOAT_RETURN_RTOL = 1e-6;
const N_OBS = 64;
/** A number printed with its sign although it shows as zero: "-0", "-0.00", "-0.000". */
const NEGATIVE_ZERO = /(^|[^\d.])-0(\.0+)?(?![\d.])/;
/** An exported model of the golden set (spec/golden), trained by gmmrl: what a user passes to serve.js --model. */
const GOLDEN_ONNX = join(ROOT, 'spec', 'golden', 'gmmqf-cartpole', 'model.onnx');
/**
 * Largest max|page − node| / max|node| over one float output (q, weights, means, log_std, …) of a
 * batch: the same rounding differences as above, before any amplification. Measured ≤ 1.6e-6;
 * the bound is 84 float32 epsilons.
 */
const OUTPUT_NORMWISE_TOL = 1e-5;

interface ModelCase {
  name: string;
  file: string;
  bytes: Uint8Array;
  envId: string;
  actor: boolean;
  /** N_OBS observations, rows of D numbers (float32 values). */
  observations: number[][];
}

/** Observations met on real episodes: the env driven by uniformly random actions, several seeds. */
function envObservations(envId: string, n: number, seed: number): number[][] {
  const env = make(envId);
  const rng = new Rng(seed);
  const rows: number[][] = [];
  let ep = 0;
  let { obs } = env.reset({ seed: seed + ep });
  while (rows.length < n) {
    rows.push(Array.from(obs));
    const space = env.actionSpace;
    const action =
      space.kind === 'discrete' ? rng.integer(space.n) : Array.from(space.low, (lo, i) => rng.uniformRange(lo, space.high[i]!));
    // a few steps between kept rows, so the rows spread over the episode
    let r = env.step(action);
    for (let k = 0; k < 3 && !(r.terminated || r.truncated); k++) r = env.step(action);
    obs = r.obs;
    if (r.terminated || r.truncated) obs = env.reset({ seed: seed + ++ep }).obs;
  }
  return rows;
}

function modelCases(): ModelCase[] {
  const cases: ModelCase[] = [
    {
      name: 'demo CartPole GMM-QF',
      file: 'cartpole-gmmqf.onnx',
      bytes: cartpoleGmmQf(),
      envId: 'CartPole-v1',
      actor: false,
      observations: envObservations('CartPole-v1', N_OBS, 100),
    },
    {
      name: 'demo Pendulum mixture actor',
      file: 'pendulum-mixture-actor.onnx',
      bytes: pendulumMixtureActor(),
      envId: 'Pendulum-v1',
      actor: true,
      observations: envObservations('Pendulum-v1', N_OBS, 200),
    },
  ];
  for (const family of BENCH_FAMILIES) {
    const m = buildBenchModel(family);
    const flat = m.observations(300, N_OBS);
    const rows = Array.from({ length: N_OBS }, (_, i) => Array.from(flat.subarray(i * m.obsSize, (i + 1) * m.obsSize)));
    cases.push({
      name: `bench ${m.label}`,
      file: `bench-${family}.onnx`,
      bytes: m.bytes,
      envId: m.envId,
      actor: family === 'mixture-actor' || family === 'gamid-actor',
      observations: rows,
    });
  }
  return cases;
}

function plainActions(x: unknown): ActionValue[] {
  if (x instanceof Int32Array) return Array.from(x);
  if (Array.isArray(x)) return x.map((r) => (typeof r === 'number' ? r : Array.from(r as ArrayLike<number>)));
  throw new Error(`unexpected act() result ${String(x)}`);
}

/** Compares two lists of actions; returns bitwise-equal count and the largest |difference|. */
function compareActions(page: ActionValue[], node: ActionValue[], actor: boolean, what: string): { equal: number; maxDiff: number } {
  expect(page.length, `${what}: number of actions`).to.equal(node.length);
  let equal = 0;
  let maxDiff = 0;
  for (let i = 0; i < node.length; i++) {
    const p = page[i]!;
    const n = node[i]!;
    if (!actor) {
      expect(p, `${what}: action index of row ${i}`).to.equal(n);
      equal++;
      continue;
    }
    const pa = p as number[];
    const na = n as number[];
    expect(pa.length, `${what}: action length of row ${i}`).to.equal(na.length);
    let same = true;
    for (let j = 0; j < na.length; j++) {
      const d = Math.abs(pa[j]! - na[j]!);
      if (!(d <= maxDiff)) maxDiff = d; // also catches NaN (stays NaN → fails below)
      if (!Object.is(pa[j], na[j])) same = false;
    }
    if (same) equal++;
  }
  expect(maxDiff, `${what}: largest |page − node| of a float action`).to.be.at.most(FLOAT_ACTION_TOL);
  return { equal, maxDiff };
}

for (const ortBuild of ['wasm', 'default'] as const)
  describe(`browser example in Chromium (examples/browser, onnxruntime-web ${ortBuild === 'wasm' ? 'wasm-only build' : 'default build (wasm + WebGPU)'} vs onnxruntime-node)`, function () {
    this.timeout(240_000);
    const suffix = ortBuild === 'wasm' ? '' : '-ort-default';
    let tmp = '';
    let bundle: BundleReport;
    let session: PageSession | undefined;
    const cases = modelCases();
    const nodePolicies = new Map<string, Policy>();
    /** The same models on onnxruntime-web's wasm build in Node: the page must match it bit for bit. */
    const webInNodePolicies = new Map<string, Policy>();

    before(async function () {
      if (!existsSync(CHROMIUM)) {
        if (process.env['GMMRL_REQUIRE_BROWSER']) {
          throw new Error(
            `${CHROMIUM} is missing and GMMRL_REQUIRE_BROWSER is set: install Debian's chromium (apt-get install chromium) ` +
              'or point GMMRL_CHROMIUM at a Chromium executable. playwright-core never downloads one.',
          );
        }
        console.log(`      (skipped: no ${CHROMIUM}; apt-get install chromium, or set GMMRL_CHROMIUM)`);
        this.skip();
      }
      tmp = mkdtempSync(join(tmpdir(), 'gmmrl-browser-spec-'));
      bundle = await buildBundle(join(tmp, 'dist'), ortBuild);
      const models = join(tmp, 'models');
      writeDemoModels(models);
      for (const c of cases) writeFileSync(join(models, c.file), c.bytes);
      session = await openPage(join(tmp, 'dist'), models);
      for (const c of cases) nodePolicies.set(c.file, await loadNode(c.bytes, { executionProviders: ['cpu'] }));
      for (const c of cases) webInNodePolicies.set(c.file, await loadWebInNode(c.bytes));
    });

    after(async () => {
      for (const p of nodePolicies.values()) await p.dispose();
      for (const p of webInNodePolicies.values()) await p.dispose();
      await session?.close();
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    it('the bundle holds no TensorFlow.js and no onnxruntime-node (sizes printed)', () => {
      const js = readFileSync(join(bundle.outDir, 'main.js'), 'utf8');
      expect(js.includes('@tensorflow'), 'main.js mentions @tensorflow').to.equal(false);
      expect(js.includes('onnxruntime-node'), 'main.js mentions onnxruntime-node').to.equal(false);
      expect(js.toLowerCase().includes('tensorflow'), 'main.js mentions tensorflow').to.equal(false);
      for (const s of bundle.sources) {
        expect(s, `bundled source ${s}`).to.match(
          /^(contract\/[a-z0-9.-]+\.ts|runtime\/[a-z.-]+\.ts|sdk\/envs\/[a-z0-9_]+\.ts|sdk\/util\/rng\.ts|examples\/browser\/main\.ts)$/,
        );
      }
      expect(bundle.ortBuild).to.equal(ortBuild);
      expect(bundle.onnxruntimeWeb, 'the onnxruntime-web build bundled').to.deep.equal([
        ortBuild === 'wasm' ? 'onnxruntime-web/dist/ort.wasm.min.mjs' : 'onnxruntime-web/dist/ort.min.mjs',
      ]);
      expect(statSync(join(bundle.outDir, 'main.js')).size).to.equal(bundle.js.bytes);
      const wasm = bundle.wasm.filter((w) => w.file.endsWith('.wasm'));
      expect(wasm.length, 'wasm binaries copied next to the bundle').to.be.greaterThan(0);
      const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
      console.log(
        `      page bundle main.js: ${bundle.js.bytes} bytes (${kib(bundle.js.bytes)}, ${kib(bundle.js.gzipBytes)} gzipped), ${bundle.sources.length} gmmrl sources + ${bundle.onnxruntimeWeb.join(', ')}`,
      );
      const rt = bundle.runtime;
      console.log(
        `      web runtime alone (runtime/index.web.ts): ${rt.gmmrlOnly.bytes} bytes without onnxruntime-web (${kib(rt.gmmrlOnly.gzipBytes)} gzipped); ` +
          `${rt.withOrtWasm.bytes} with onnxruntime-web/wasm (${kib(rt.withOrtWasm.gzipBytes)} gzipped); ${rt.withOrtDefault.bytes} with the default onnxruntime-web (${kib(rt.withOrtDefault.gzipBytes)} gzipped)`,
      );
      for (const w of bundle.wasm) console.log(`      ${w.file}: ${w.bytes} bytes (${(w.bytes / 2 ** 20).toFixed(1)} MiB)`);
    });

    for (const c of cases) {
      it(`${c.name}: the page's actions for ${N_OBS} observations equal onnxruntime-web's in Node bit for bit, and onnxruntime-node's (greedy and sampled)`, async () => {
        const page = session!.page;
        const info = await page.evaluate(([f]) => window.gmmrlPage.load(`models/${f}`), [c.file] as const);
        expect(info.backend).to.equal('onnxruntime-web');
        expect(info.executionProvider).to.equal('wasm');
        expect(info.ortBuild).to.equal(ortBuild);
        const node = nodePolicies.get(c.file)!;
        const notes: string[] = [];
        for (const mode of ['greedy', 'sample'] as Mode[]) {
          const seed = 4242;
          const r = await page.evaluate(([rows, m, s]) => window.gmmrlPage.actions(rows, m, s), [c.observations, mode, seed] as const);
          const want = plainActions(await node.act(c.observations, mode === 'greedy' ? { mode } : { mode, rng: new Rng(seed) }));
          const batch = compareActions(r.batch as ActionValue[], want, c.actor, `${c.name}, ${mode}, page batch`);
          const single = compareActions(r.single as ActionValue[], want, c.actor, `${c.name}, ${mode}, page one row at a time`);
          // the same wasm kernels in Node (onnxruntime-web) give exactly the page's actions
          const wantWasm = plainActions(
            await webInNodePolicies.get(c.file)!.act(c.observations, mode === 'greedy' ? { mode } : { mode, rng: new Rng(seed) }),
          );
          expect(JSON.stringify(r.batch), `${c.name}, ${mode}: page vs onnxruntime-web in Node (bitwise)`).to.equal(
            JSON.stringify(wantWasm),
          );
          const distinct = new Set(want.map((a) => JSON.stringify(a))).size;
          notes.push(
            `${mode}: ${c.actor ? `bitwise equal ${batch.equal}/${want.length} (batch), ${single.equal}/${want.length} (single); max |diff| ${batch.maxDiff.toExponential(2)} / ${single.maxDiff.toExponential(2)}` : `indices identical ${want.length}/${want.length}`}; ${distinct} distinct actions`,
          );
        }
        // the values behind the chart: every float output, page vs Node (informative; printed)
        const outs = await page.evaluate(([rows]) => window.gmmrlPage.outputs(rows), [c.observations] as const);
        const nodeOuts = (await node.outputs(c.observations, { mode: 'greedy' })).outputs;
        const diffs: string[] = [];
        for (const [name, t] of Object.entries(nodeOuts)) {
          const p = outs[name];
          expect(p, `page output ${name}`).to.not.equal(undefined);
          expect(p!.dims).to.deep.equal(t.dims);
          let max = 0;
          let scale = 0;
          for (let i = 0; i < t.data.length; i++) {
            max = Math.max(max, Math.abs(p!.data[i]! - t.data[i]!));
            scale = Math.max(scale, Math.abs(t.data[i]!));
          }
          const normwise = max / Math.max(scale, Number.MIN_VALUE);
          if (t.data instanceof Int32Array) expect(max, `${name} (integer output) page vs node`).to.equal(0);
          else expect(normwise, `${name}: max |page − node| / max |node|`).to.be.at.most(OUTPUT_NORMWISE_TOL);
          diffs.push(`${name} ${max === 0 ? '=' : `max|Δ| ${max.toExponential(2)} (${normwise.toExponential(2)} of max|x|)`}`);
        }
        console.log(`      ${notes.join('\n      ')}\n      outputs: ${diffs.join(', ')}`);
      });
    }

    const episodeCases = [
      { name: 'CartPole GMM-QF', file: 'cartpole-gmmqf.onnx', envId: 'CartPole-v1', seed: 7 },
      { name: 'Pendulum mixture actor', file: 'pendulum-mixture-actor.onnx', envId: 'Pendulum-v1', seed: 5 },
    ];
    for (const e of episodeCases) {
      for (const mode of ['greedy', 'sample'] as Mode[]) {
        it(`${e.name}: a ${mode} episode in the page (seed ${e.seed}) equals the same episode in Node`, async () => {
          const page = session!.page;
          await page.evaluate(([f]) => window.gmmrlPage.load(`models/${f}`), [e.file] as const);
          const got = await page.evaluate(([s, m]) => window.gmmrlPage.runEpisode(s, m), [e.seed, mode] as const);
          // Node: the same environment code, onnxruntime-node, the same noise stream (Rng(seed)).
          const policy = nodePolicies.get(e.file)!;
          const noise = new Rng(e.seed);
          const actions: ActionValue[] = [];
          const stats = await runEpisodes(
            make(e.envId),
            async (obs) => {
              const a = await policy.envAction(obs, mode === 'greedy' ? { mode } : { mode, rng: noise });
              actions.push(typeof a === 'number' ? a : Array.from(a));
              return a;
            },
            1,
            e.seed,
          );
          console.log(`      page: return ${got.return}, ${got.steps} steps; Node: return ${stats.returns[0]}, ${actions.length} steps`);
          expect(got.steps, 'steps').to.equal(actions.length);
          expect(got.done).to.equal(true);
          const floatActions = typeof actions[0] !== 'number';
          const cmp = compareActions(got.actions as ActionValue[], actions, floatActions, `${e.name} ${mode} episode actions`);
          const want = stats.returns[0]!;
          if (floatActions) {
            console.log(
              `      actions bitwise equal ${cmp.equal}/${actions.length}, max |diff| ${cmp.maxDiff.toExponential(2)}; |Δreturn| ${Math.abs(got.return - want).toExponential(2)}`,
            );
            expect(Math.abs(got.return - want), 'return (page vs node)').to.be.at.most(FLOAT_RETURN_RTOL * Math.abs(want));
          } else {
            expect(got.return, 'return (page vs node)').to.equal(want);
          }
        });
      }
    }

    it('draws the environment and the chart, and writes screenshots (test-artifacts/browser/)', async () => {
      const page = session!.page;
      mkdirSync(ARTIFACTS, { recursive: true });
      const shots: string[] = [];
      for (const [file, seed, steps, png] of [
        ['cartpole-gmmqf.onnx', 3, 60, `page${suffix}.png`],
        ['pendulum-mixture-actor.onnx', 1, 17, `page-pendulum${suffix}.png`],
      ] as const) {
        await page.evaluate(([f]) => window.gmmrlPage.load(`models/${f}`), [file] as const);
        await page.evaluate(([s, n]) => window.gmmrlPage.runEpisode(s, 'greedy', { maxSteps: n }), [seed, steps] as const);
        // non-background pixels of each canvas: the drawing is there
        const inked = await page.evaluate(() =>
          ['env', 'chart'].map((id) => {
            const c = document.getElementById(id) as HTMLCanvasElement;
            const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
            return n;
          }),
        );
        expect(inked[0], `${file}: inked pixels of the environment canvas`).to.be.greaterThan(2000);
        expect(inked[1], `${file}: inked pixels of the chart canvas`).to.be.greaterThan(2000);
        const status = await page.textContent('#status');
        expect(status).to.contain(`step            ${steps}`);
        const path = join(ARTIFACTS, png);
        await page.screenshot({ path, fullPage: true });
        expect(readFileSync(path).subarray(1, 4).toString('latin1')).to.equal('PNG');
        shots.push(relative(process.cwd(), path));
      }
      console.log(`      screenshots: ${shots.join(', ')}`);
      expect(session!.errors, 'errors in the page').to.deep.equal([]);
    });

    it('fits a phone (390 × 844): no horizontal scroll, controls inside the viewport, canvases scaled; screenshot page-phone', async () => {
      const page = await session!.browser.newPage({ viewport: { width: 390, height: 844 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      try {
        await page.goto(`${session!.server.url}?autoplay=0&model=models/cartpole-gmmqf.onnx`);
        await page.waitForFunction(() => ['loaded', 'error'].includes(document.body.dataset['state'] ?? ''), null, { timeout: 60_000 });
        expect(await page.textContent('#error')).to.equal('');
        await page.evaluate(() => window.gmmrlPage.runEpisode(3, 'greedy', { maxSteps: 40 }));
        const m = await page.evaluate(() => {
          const W = window.innerWidth;
          const rect = (sel: string) => {
            const r = document.querySelector(sel)!.getBoundingClientRect();
            return { left: r.left, right: r.right, top: r.top, width: r.width, height: r.height };
          };
          const overflowing: string[] = [];
          for (const el of Array.from(document.body.querySelectorAll('*'))) {
            const r = el.getBoundingClientRect();
            if (r.width === 0 && r.height === 0) continue;
            if (r.left < -0.5 || r.right > W + 0.5)
              overflowing.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} [${r.left.toFixed(1)}, ${r.right.toFixed(1)}]`);
          }
          const controls = ['#model-select', '#model-file', '#mode-set', '#seed', '#play', '#step', '#reset'].map((sel) => ({
            sel,
            ...rect(sel),
          }));
          const canvases = ['env', 'chart'].map((id) => {
            const c = document.getElementById(id) as HTMLCanvasElement;
            return { id, drawWidth: c.width, drawHeight: c.height, ...rect(`#${id}`) };
          });
          return {
            W,
            scrollWidth: document.documentElement.scrollWidth,
            bodyScrollWidth: document.body.scrollWidth,
            overflowing,
            controls,
            canvases,
            info: rect('#info'),
          };
        });
        expect(m.W).to.equal(390);
        expect(m.scrollWidth, 'document scrollWidth at 390 px').to.be.at.most(390);
        expect(m.bodyScrollWidth, 'body scrollWidth at 390 px').to.be.at.most(390);
        expect(m.overflowing, 'elements past the viewport').to.deep.equal([]);
        for (const c of m.controls) {
          expect(c.width, `${c.sel} width`).to.be.greaterThan(0);
          expect(c.height, `${c.sel} height`).to.be.greaterThan(0);
          expect(c.left, `${c.sel} left`).to.be.at.least(0);
          expect(c.right, `${c.sel} right`).to.be.at.most(390);
          expect(c.top + c.height, `${c.sel} bottom (above the fold)`).to.be.at.most(844);
        }
        for (const c of m.canvases) {
          // drawn at 600 px, shown in the column: scaled down, same aspect ratio (1 px border each side)
          expect(c.drawWidth, `#${c.id} drawing width`).to.equal(600);
          expect(c.width, `#${c.id} shown width`).to.be.within(300, 390);
          expect((c.height - 2) / (c.width - 2), `#${c.id} aspect ratio`).to.be.closeTo(c.drawHeight / c.drawWidth, 0.02);
        }
        // one column: the info pane below the canvases, as wide as they are
        expect(m.info.top, '#info below the chart').to.be.at.least(m.canvases[1]!.top + m.canvases[1]!.height);
        mkdirSync(ARTIFACTS, { recursive: true });
        const path = join(ARTIFACTS, `page-phone${suffix}.png`);
        const png = await page.screenshot({ path, fullPage: true });
        expect(png.subarray(1, 4).toString('latin1')).to.equal('PNG');
        // a PNG's IHDR holds its width: the full-page screenshot is the viewport's width, nothing wider
        expect(png.readUInt32BE(16), 'screenshot width').to.equal(390);
        console.log(
          `      phone: scrollWidth ${m.scrollWidth}, canvases ${m.canvases.map((c) => `${c.width.toFixed(0)}×${c.height.toFixed(0)}`).join(', ')}; screenshot ${relative(process.cwd(), path)}`,
        );
        // the desktop layout: two panes side by side, canvases at their drawing size
        await page.setViewportSize({ width: 1280, height: 800 });
        const d = await page.evaluate(() => {
          const e = document.getElementById('env')!.getBoundingClientRect();
          const i = document.getElementById('info')!.getBoundingClientRect();
          return {
            envWidth: e.width,
            envRight: e.right,
            infoLeft: i.left,
            infoTop: i.top,
            envTop: e.top,
            scrollWidth: document.documentElement.scrollWidth,
          };
        });
        expect(d.envWidth, 'desktop canvas width').to.equal(600);
        expect(d.infoLeft, 'desktop: info pane right of the canvases').to.be.greaterThan(d.envRight);
        expect(d.infoTop, 'desktop: info pane beside the canvases').to.be.closeTo(d.envTop, 2);
        expect(d.scrollWidth).to.be.at.most(1280);
        expect(errors, 'errors in the page').to.deep.equal([]);
      } finally {
        await page.close();
      }
    });

    it('a corrupt file through the file input shows "ModelFormatError: …"; a loaded local file is named in the picker', async () => {
      const page = await session!.browser.newPage({ viewport: { width: 1280, height: 800 } });
      try {
        await page.goto(`${session!.server.url}?autoplay=0&model=`);
        await page.waitForFunction(() => document.body.dataset['state'] === 'ready', null, { timeout: 60_000 });
        expect(await page.$eval('#model-select', (s) => (s as HTMLSelectElement).selectedOptions[0]?.textContent)).to.equal('(none)');
        // a valid file: the picker shows its name, selected
        await page.setInputFiles('#model-file', {
          name: 'my-cartpole.onnx',
          mimeType: 'application/octet-stream',
          buffer: Buffer.from(cartpoleGmmQf()),
        });
        await page.waitForFunction(() => document.body.dataset['state'] === 'loaded', null, { timeout: 60_000 });
        expect(await page.$eval('#model-select', (s) => (s as HTMLSelectElement).selectedOptions[0]?.textContent)).to.equal(
          'my-cartpole.onnx (local file)',
        );
        expect(await page.textContent('#info')).to.contain('my-cartpole.onnx');
        await page.click('#play'); // pause the loop the file input started
        // a corrupt one: the banner names the error class, not a minified one
        const bytes = Buffer.from(cartpoleGmmQf());
        const corrupt = Buffer.concat([Buffer.from([0x22, 0x07, 0xff, 0xff]), bytes.subarray(0, 40)]);
        await page.setInputFiles('#model-file', { name: 'corrupt.onnx', mimeType: 'application/octet-stream', buffer: corrupt });
        await page.waitForFunction(() => document.body.dataset['state'] === 'error', null, { timeout: 60_000 });
        const banner = (await page.textContent('#error')) ?? '';
        console.log(`      banner: ${banner.slice(0, 140)}`);
        expect(banner).to.match(/^ModelFormatError: /);
      } finally {
        await page.close();
      }
    });

    it('labels and the status never print a negative zero ("-0.00"), though values that round to it occur', async () => {
      const page = session!.page;
      let roundsToNegZero = 0;
      let steps = 0;
      // the demo models, and golden exported models with grid labels (DQN) and component actions (Gamid)
      for (const [file, seed, n] of [
        ['cartpole-gmmqf.onnx', 3, 120],
        ['pendulum-mixture-actor.onnx', 1, 60],
        ['golden dqn-pendulum-grid', 2, 30],
        ['golden gamid-pendulum', 2, 30],
      ] as const) {
        if (file.startsWith('golden ')) {
          const base64 = readFileSync(join(ROOT, 'spec', 'golden', file.slice(7), 'model.onnx')).toString('base64');
          await page.evaluate(([b, f]) => window.gmmrlPage.load({ base64: b }, f), [base64, file] as const);
        } else await page.evaluate(([f]) => window.gmmrlPage.load(`models/${f}`), [file] as const);
        await page.evaluate(([s]) => window.gmmrlPage.runEpisode(s, 'greedy', { maxSteps: 0 }), [seed] as const);
        for (let i = 0; i < n; i++) {
          const r = await page.evaluate(() => window.gmmrlPage.step('greedy'));
          steps++;
          // what toFixed alone (the old formatting) would have printed with a sign
          for (const v of r.obs ?? []) if (v < 0 && v.toFixed(3) === '-0.000') roundsToNegZero++;
          expect(r.status, `${file} step ${i}: status`).to.not.match(NEGATIVE_ZERO);
          for (const l of r.chart?.labels ?? []) expect(l, `${file} step ${i}: chart label`).to.not.match(NEGATIVE_ZERO);
        }
      }
      const fx = await page.evaluate(() => [-0, -0.001, -0.0049, 0.004, -0.006, 1e-20, -1e-20].map((x) => window.gmmrlPage.fixed(x, 2)));
      expect(fx).to.deep.equal(['0.00', '0.00', '0.00', '0.00', '-0.01', '0.00', '0.00']);
      console.log(`      ${steps} steps; ${roundsToNegZero} observation entries a plain toFixed(3) prints as -0.000`);
      expect(roundsToNegZero, 'the case occurs (else this test checks nothing)').to.be.greaterThan(0);
      expect(session!.errors, 'errors in the page').to.deep.equal([]);
    });

    if (ortBuild === 'wasm')
      it('serve.js --model PATH opens the page with that file (a golden exported model) loaded; the info shows the greedy graph', async () => {
        const server = await startPageServer([`--dist=${bundle.outDir}`, '--model', GOLDEN_ONNX]);
        const page = await session!.browser.newPage({ viewport: { width: 1280, height: 800 } });
        try {
          await page.goto(`${server.url}?autoplay=0`);
          await page.waitForFunction(() => ['loaded', 'error'].includes(document.body.dataset['state'] ?? ''), null, { timeout: 60_000 });
          expect(await page.textContent('#error')).to.equal('');
          const info = await page.evaluate(() => window.gmmrlPage.info());
          expect(info.modelName).to.equal('model.onnx');
          expect(info.byteLength).to.equal(statSync(GOLDEN_ONNX).size);
          expect(info.envId).to.equal('CartPole-v1');
          const selected = await page.$eval('#model-select', (s) => ({
            value: (s as HTMLSelectElement).value,
            text: (s as HTMLSelectElement).selectedOptions[0]?.textContent ?? '',
          }));
          expect(selected.value).to.equal('user/model.onnx');
          expect(selected.text).to.match(/^model\.onnx — your model \(--model, [\d,]+ bytes\)$/);
          // the demo models are still offered after it
          const values = await page.$$eval('#model-select option', (os) => os.map((o) => (o as HTMLOptionElement).value));
          expect(values).to.include.members(['models/cartpole-gmmqf.onnx', 'models/pendulum-mixture-actor.onnx']);
          const text = (await page.textContent('#info')) ?? '';
          const line = text.split('\n').find((l) => l.startsWith('greedy graph'));
          const want = await loadNode(readFileSync(GOLDEN_ONNX), { executionProviders: ['cpu'] });
          try {
            const g = want.info.greedyGraph;
            expect(info.greedyGraph).to.deep.equal(g === null ? null : { ...g, outputsRemoved: [...g.outputsRemoved] });
            if (g === null) expect(line).to.contain(`none, greedy calls run the full graph (${want.info.greedyGraphReason}`);
            else expect(line).to.contain(`${g.nodesKept} nodes kept, ${g.nodesRemoved} removed`);
          } finally {
            await want.dispose();
          }
          console.log(`      ${line}`);
          const ep = await page.evaluate(() => window.gmmrlPage.runEpisode(0, 'greedy', { maxSteps: 20 }));
          expect(ep.steps).to.equal(20);
        } finally {
          await page.close();
          await server.close();
        }
      });

    it('plays live: the model list, the sampled toggle and the animation loop (Pendulum, then CartPole)', async () => {
      const page = session!.page;
      await page.goto(`${session!.server.url}?model=models/pendulum-mixture-actor.onnx`);
      await page.waitForFunction(() => document.body.dataset['state'] === 'loaded' || document.body.dataset['state'] === 'error', null, {
        timeout: 60_000,
      });
      expect(await page.textContent('#error')).to.equal('');
      const options = await page.$$eval('#model-select option', (os) => os.map((o) => (o as HTMLOptionElement).value));
      expect(options).to.include.members(['models/cartpole-gmmqf.onnx', 'models/pendulum-mixture-actor.onnx']);
      expect(await page.inputValue('#model-select')).to.equal('models/pendulum-mixture-actor.onnx');
      await page.check('input[name=mode][value=sample]');
      // Pendulum steps every 50 ms: 10 steps within a few seconds, sampled
      await page.waitForFunction(
        () =>
          /step +(\d+)/.exec(document.getElementById('status')!.textContent ?? '')?.[1] !== undefined &&
          Number(/step +(\d+)/.exec(document.getElementById('status')!.textContent!)![1]) >= 10,
        null,
        { timeout: 30_000 },
      );
      expect(await page.textContent('#status')).to.contain('mode sample');
      // switch model through the list: the loop goes on with CartPole
      await page.selectOption('#model-select', 'models/cartpole-gmmqf.onnx');
      await page.waitForFunction(() => (document.getElementById('info')!.textContent ?? '').includes('CartPole-v1'), null, {
        timeout: 30_000,
      });
      await page.waitForFunction(
        () => Number(/step +(\d+)/.exec(document.getElementById('status')!.textContent ?? '')?.[1] ?? 0) >= 20,
        null,
        { timeout: 30_000 },
      );
      await page.click('#play'); // pause
      expect(await page.textContent('#play')).to.equal('Play');
      expect(session!.errors, 'errors in the page').to.deep.equal([]);
    });
  });
