/**
 * The runtime's `webgpu` execution provider in a real browser: Debian's chromium, headless, with its
 * software WebGPU adapter (SwiftShader: --enable-unsafe-webgpu --use-webgpu-adapter=swiftshader
 * --enable-features=Vulkan), opens examples/browser/index.html with the default onnxruntime-web
 * build (wasm + WebGPU) and loads the golden models (spec/golden) once on ['webgpu'] and once on
 * ['wasm'], each model in a fresh page: the same observations give identical indices (Q families,
 * the DQN grid) and float actions and outputs within WEBGPU_TOL. Gamid, and several models in one
 * page, are pending (measured wrong; below). SwiftShader checks correctness only, never speed.
 *
 * Without /usr/bin/chromium the suite is skipped, unless GMMRL_REQUIRE_BROWSER is set (CI sets it).
 * If the browser starts but offers no WebGPU adapter, the suite is skipped with the reason printed
 * (and fails under GMMRL_REQUIRE_BROWSER: Chromium 156 headless here does offer one).
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundle, CHROMIUM, openPage, ROOT, type PageSession } from '../../bench/browser-harness.js';

const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan'];
/** The float32 golden models (WebGPU has no float64) and what their act() returns. */
const MODELS = ['gmmqf-cartpole', 'sgmmqf-cartpole', 'dqn-pendulum-grid', 'sac-sgm-pendulum'] as const;
/**
 * Largest |webgpu − wasm| allowed for a float (action in env units, or an output) relative to
 * 1 + |wasm|: WebGPU's f32 kernels sum and approximate exp/tanh in another order than wasm SIMD.
 * 256 float32 epsilons; a real discrepancy (another component, a missing tanh or scale) is orders
 * of magnitude larger.
 */
const WEBGPU_TOL = 256 * 2 ** -23;

type Value = number | number[];
interface Io {
  inputs: { obs: number[][] };
}

function flatten(v: unknown): number[] {
  return Array.isArray(v) ? v.flatMap((x) => flatten(x)) : [v as number];
}

/** max |a − b| / (1 + |b|) */
function relErr(a: readonly number[], b: readonly number[]): number {
  expect(a.length).to.equal(b.length);
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!)));
  return e;
}

describe('browser: the runtime on WebGPU (SwiftShader) against wasm', function () {
  this.timeout(300_000);
  let tmp = '';
  let session: PageSession | undefined;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      if (process.env['GMMRL_REQUIRE_BROWSER'])
        throw new Error(`${CHROMIUM} is missing and GMMRL_REQUIRE_BROWSER is set: apt-get install chromium.`);
      console.log(`      (skipped: no ${CHROMIUM}; apt-get install chromium, or set GMMRL_CHROMIUM)`);
      this.skip();
    }
    tmp = mkdtempSync(join(tmpdir(), 'gmmrl-webgpu-spec-'));
    await buildBundle(join(tmp, 'dist'), 'default');
  });

  // A fresh page per model: in one page, a model loaded on webgpu after others (each disposed)
  // computed wrong actions here (see the pending test below).
  beforeEach(async function () {
    session = await openPage(join(tmp, 'dist'), join(ROOT, 'spec', 'golden'), { args: WEBGPU_ARGS });
    const adapter = await session.page.evaluate(async () => {
      const gpu = (navigator as { gpu?: { requestAdapter(): Promise<{ info?: Record<string, unknown> } | null> } }).gpu;
      if (!gpu) return 'navigator.gpu is undefined';
      const a = await gpu.requestAdapter();
      return a === null ? 'requestAdapter() returned null' : { vendor: a.info?.['vendor'], architecture: a.info?.['architecture'] };
    });
    if (typeof adapter === 'string') {
      if (process.env['GMMRL_REQUIRE_BROWSER'])
        throw new Error(`Chromium offers no WebGPU adapter with ${WEBGPU_ARGS.join(' ')}: ${adapter}`);
      console.log(`      (skipped: Chromium offers no WebGPU adapter with ${WEBGPU_ARGS.join(' ')}: ${adapter})`);
      this.skip();
    }
    expect(adapter).to.deep.equal({ vendor: 'google', architecture: 'swiftshader' });
  });

  afterEach(async () => {
    await session?.close();
    session = undefined;
  });

  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  // Measured: in one page, gmmqf-cartpole, sgmmqf-cartpole, then dqn-pendulum-grid (each disposed
  // before the next) gave DQN greedy indices that differ from wasm's; sac-sgm-pendulum's `action`
  // output was off by 0.96 relative and gamid-pendulum's act() actions by up to 1.8 (DQN and SAC are right
  // alone in a fresh page, below). Pending until the cause (ONNX Runtime's WebGPU provider reusing
  // state across sessions, or SwiftShader) is found.
  it('several models loaded one after another in one page on webgpu');
  // Measured on gamid-pendulum (N = 3 actors), each run in a fresh page: one run, act()'s actions
  // agreed and outputs().action_sampled was off by 1.41 relative; the next, another output by 0.81.
  // The results vary run to run: pending, as above.
  it('gamid-pendulum on webgpu (varies run to run, off by up to 1.4 relative)');

  for (const name of MODELS) {
    it(`${name}: webgpu's actions (greedy and sampled, batch and row by row) and outputs match wasm's`, async () => {
      const page = session!.page;
      const io = JSON.parse(readFileSync(join(ROOT, 'spec', 'golden', name, 'io.json'), 'utf8')) as Io;
      const rows = io.inputs.obs;
      const run = async (ep: 'webgpu' | 'wasm') => {
        const info = await page.evaluate(([f, p]) => window.gmmrlPage.load(`models/${f}/model.onnx`, f, [p]), [name, ep] as const);
        expect(info.executionProvider).to.equal(ep);
        const greedy = await page.evaluate(([r]) => window.gmmrlPage.actions(r, 'greedy'), [rows] as const);
        const sampled = await page.evaluate(([r]) => window.gmmrlPage.actions(r, 'sample', 7), [rows] as const);
        const outputs = await page.evaluate(([r]) => window.gmmrlPage.outputs(r), [rows] as const);
        return { greedy, sampled, outputs };
      };
      const gpu = await run('webgpu');
      const cpu = await run('wasm');
      let worst = 0;
      for (const k of ['greedy', 'sampled'] as const) {
        for (const part of ['batch', 'single'] as const) {
          const a = gpu[k][part] as Value[];
          const b = cpu[k][part] as Value[];
          if (typeof b[0] === 'number') expect(a, `${k} ${part} indices`).to.deep.equal(b);
          else worst = Math.max(worst, relErr(flatten(a), flatten(b)));
        }
      }
      for (const [out, v] of Object.entries(cpu.outputs)) {
        const g = gpu.outputs[out]!;
        expect(g.dims, out).to.deep.equal(v.dims);
        // indices: Q families' action / action_sampled ([N]), every *_index
        if (/_index$/.test(out) || (v.dims.length === 1 && /^action/.test(out))) expect(g.data, out).to.deep.equal(v.data);
        else worst = Math.max(worst, relErr(g.data, v.data));
      }
      console.log(`      ${name}: largest |webgpu − wasm| / (1 + |wasm|) over float actions and outputs ${worst.toExponential(2)}`);
      expect(worst).to.be.at.most(WEBGPU_TOL);
      // onnxruntime's own warnings (console.error, "[W:onnxruntime:…] Some nodes were not assigned …") are not errors
      expect(session!.errors.filter((e) => !e.includes('[W:onnxruntime:'))).to.deep.equal([]);
    });
  }
});
