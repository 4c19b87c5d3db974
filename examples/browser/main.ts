/**
 * The browser example: an exported gmmrl ONNX model on onnxruntime-web drives one of gmmrl's
 * environments live on a canvas, with the policy's Q values (Q families: gmmqf, dqn; component Q
 * values: gamid-actor) or mixture weights (mixture-actor) drawn as a bar chart at every step.
 *
 * Bundled by scripts/build-browser.mjs (esbuild) from these TypeScript sources: gmmrl's web runtime
 * (runtime/index.web.ts over onnxruntime-web — by default its WebAssembly-only build,
 * onnxruntime-web/wasm; `--ort=default` keeps the wasm + WebGPU build) and the environments
 * (sdk/envs, the same code Node runs) — no TensorFlow.js, no onnxruntime-node, no Node built-ins
 * (the build refuses them).
 * onnxruntime-web's .wasm is fetched from the bundle's own folder (ort.env.wasm.wasmPaths), never a
 * CDN.
 *
 * Model: `?model=<url>` (relative to the page), the demo list in `models/index.json` when the
 * server provides one (node dist/examples/browser/serve.js does), or a local file (file input).
 * `?autoplay=0` loads without starting the live loop; `?model=` (empty) loads no model.
 *
 * Episodes: episode e of the live loop resets the environment with seed (seed input) + e; sampled
 * actions draw their noise from a runtime Rng seeded with the same number (u, then ε, per the
 * runtime's contract), so a sampled episode is reproducible too. Greedy actions use no noise.
 *
 * window.gmmrlPage is a small API for tests and benchmarks (spec/browser, bench/browser-latency.ts):
 *   load(src)                       src: URL string, or base64 of the model bytes ({ base64 })
 *   info()                          family, env id, provider, backend, sizes
 *   actions(rows, mode, seed)       act() on a batch and on each row alone → plain numbers
 *   outputs(rows, mode, seed)       every graph output (policy.outputs) → plain numbers
 *   runEpisode(seed, mode, opts)    one episode (no animation) → return, steps, actions
 *   latency(opts)                   single-observation act() timings and batch throughput
 */
import * as ort from 'onnxruntime-web';
import { Rng, loadPolicy, type ActMode, type ActOptions, type Policy, type PolicyInfo, type WebExecutionProvider } from 'gmmrl/runtime/web';
import { make, type Env } from 'gmmrl/envs';

/** Which onnxruntime-web build the bundle carries ('wasm' or 'default'; set by scripts/build-browser.mjs). */
declare const __GMMRL_ORT_BUILD__: string | undefined;
const ORT_BUILD = typeof __GMMRL_ORT_BUILD__ === 'string' ? __GMMRL_ORT_BUILD__ : 'unknown';

// onnxruntime-web: wasm binaries next to this bundle; one thread (a page without cross-origin
// isolation cannot start wasm threads anyway, and for graphs this small one thread is faster).
ort.env.wasm.wasmPaths = new URL('./', import.meta.url).href;
ort.env.wasm.numThreads = 1;

export type Mode = ActMode;

/** What the page shows about the model (from the runtime's validated PolicyInfo). */
interface ModelMeta {
  family: string;
  envId: string;
  components: number | null;
  precision: string;
  sampling: PolicyInfo['sampling'];
  actionSpace: { kind: string; n: number; shape?: readonly number[]; values?: unknown; low?: readonly number[]; high?: readonly number[] };
}

function metaOf(info: PolicyInfo): ModelMeta {
  return {
    family: info.family,
    envId: info.metadata.env_id,
    components: info.components,
    precision: info.precision,
    sampling: info.sampling,
    actionSpace: info.actionSpace as ModelMeta['actionSpace'],
  };
}

const isActor = (family: string): boolean => family === 'mixture-actor' || family === 'gamid-actor';

/**
 * x.toFixed(digits), without the sign of a value that prints as zero: toFixed keeps the sign of
 * −0 and of small negatives (−0.001 → "-0.00"), which reads as a value of its own on a label.
 */
export function fixed(x: number, digits: number): string {
  const s = x.toFixed(digits);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

// ------------------------------------------------------------------------------------------------
// State
// ------------------------------------------------------------------------------------------------

interface Chart {
  title: string;
  values: number[];
  labels: string[];
  highlight: number;
  kind: 'weights' | 'signed';
  /** What the highlighted bar is. */
  legend: string;
}

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no element #${id}`);
  return el as T;
};
const envCanvas = $<HTMLCanvasElement>('env');
const chartCanvas = $<HTMLCanvasElement>('chart');
const infoEl = $<HTMLPreElement>('info');
const statusEl = $<HTMLPreElement>('status');
const errorEl = $<HTMLDivElement>('error');
const modelSelect = $<HTMLSelectElement>('model-select');
const modelFile = $<HTMLInputElement>('model-file');
const modeSet = $<HTMLFieldSetElement>('mode-set');
const seedInput = $<HTMLInputElement>('seed');
const playButton = $<HTMLButtonElement>('play');
const stepButton = $<HTMLButtonElement>('step');
const resetButton = $<HTMLButtonElement>('reset');

let policy: Policy | null = null;
let meta: ModelMeta | null = null;
let modelName = '';
let env: Env | null = null;
let envError = '';
let obs: Float32Array | null = null;
let episode = { seed: 0, index: 0, steps: 0, ret: 0, done: false, lastAction: '', lastMs: 0 };
let noise: Rng = new Rng(0);
let chart: Chart | null = null;
let lastRawAction: number | ArrayLike<number> = NaN;
let playing = false;
let loopToken = 0;
/** Serializes every use of the policy/env (the live loop, buttons, the test API). */
let queue: Promise<unknown> = Promise.resolve();
function exclusive<T>(fn: () => Promise<T>): Promise<T> {
  const run = queue.then(fn, fn);
  queue = run.catch(() => undefined);
  return run;
}

function currentMode(): Mode {
  const el = document.querySelector<HTMLInputElement>('input[name=mode]:checked');
  return el?.value === 'sample' ? 'sample' : 'greedy';
}

function showError(err: unknown): void {
  const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  errorEl.textContent = msg;
  document.body.dataset['state'] = 'error';
  console.error(err);
}

// ------------------------------------------------------------------------------------------------
// Loading
// ------------------------------------------------------------------------------------------------

function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function loadModel(src: string | Uint8Array, name: string, providers: WebExecutionProvider[] = ['wasm']): Promise<void> {
  stop();
  const next = await loadPolicy(src, { executionProviders: providers });
  if (policy) await policy.dispose();
  policy = next;
  meta = metaOf(next.info);
  modelName = name;
  errorEl.textContent = '';
  selectLoaded(src, name);
  try {
    env = make(meta.envId);
    envError = '';
  } catch (err) {
    env = null;
    envError = `This page has no environment ${JSON.stringify(meta.envId)}: ${(err as Error).message}`;
  }
  const canSample = meta.sampling !== null;
  modeSet.disabled = !canSample;
  modeSet.title = canSample ? '' : 'greedy only: the model has no sampling head (exported with sampling "none")';
  if (!canSample) document.querySelector<HTMLInputElement>('input[name=mode][value=greedy]')!.checked = true;
  renderInfo();
  resetEpisode(Number(seedInput.value) >>> 0);
  await updateChart();
  draw();
  document.body.dataset['state'] = 'loaded';
}

/**
 * Shows the loaded model in the picker: its list entry when it has one, else one entry for it
 * (a local file, bytes through the test API, or a ?model= URL not in the list), named and selected,
 * so the picker never reads "(none)" while a model is loaded.
 */
function selectLoaded(src: string | Uint8Array, name: string): void {
  document.getElementById('model-current')?.remove();
  const listed = typeof src === 'string' ? Array.from(modelSelect.options).find((o) => o.value === src) : undefined;
  if (listed) {
    modelSelect.value = listed.value;
    return;
  }
  const opt = document.createElement('option');
  opt.id = 'model-current';
  // a local file's bytes cannot be fetched again: its entry is a label, not a URL to load
  opt.value = typeof src === 'string' ? src : CURRENT_BYTES;
  opt.textContent = typeof src === 'string' ? name : `${name} (local file)`;
  modelSelect.append(opt);
  modelSelect.value = opt.value;
}

/** The picker value of a model loaded from bytes (never a URL). */
const CURRENT_BYTES = '#loaded-bytes';

function renderInfo(): void {
  if (!policy || !meta) {
    infoEl.textContent = 'No model loaded. Pick a demo model, load a .onnx file, or open this page with ?model=<url>.';
    return;
  }
  const i = policy.info;
  const a = meta.actionSpace;
  const actionText =
    a.kind === 'discrete'
      ? `discrete, ${a.n} actions`
      : a.kind === 'grid'
        ? `grid of ${a.n} points over [${a.low?.join(', ')}, ${a.high?.join(', ')}]`
        : `box [${a.low?.join(', ')}] … [${a.high?.join(', ')}]`;
  const s = meta.sampling;
  const lines = [
    `model           ${modelName} (${i.byteLength.toLocaleString('en-US')} bytes)`,
    `family          ${meta.family}${meta.components !== undefined ? `, ${meta.family === 'gamid-actor' ? 'C' : 'K'} = ${meta.components}` : ''}, ${meta.precision}`,
    `environment     ${meta.envId}${env ? '' : ' (not available in this page)'}`,
    `observation     ${i.observationSize} numbers`,
    `action space    ${actionText}`,
    `sampling        ${s ? `${s.kind}, noise ${s.noise}${s.epsilon !== undefined ? `, ε = ${s.epsilon}` : ''}` : 'none (greedy only)'}`,
    `runtime         ${i.backend} ${ort.env.versions?.web ?? ''} (${ORT_BUILD === 'wasm' ? 'onnxruntime-web/wasm build' : ORT_BUILD === 'default' ? 'default build: wasm + WebGPU' : 'build unknown'}), execution provider: ${i.executionProvider}`,
    `                wasm threads ${ort.env.wasm.numThreads}, simd ${ort.env.wasm.simd ?? 'auto'}`,
    `ONNX            IR ${i.irVersion}, opset ${i.opsetVersion}, producer ${i.producerName} ${i.producerVersion}`,
    `greedy graph    ${greedyGraphText(i)}`,
  ];
  if (i.providerFailures.length > 0)
    lines.push(`failed providers ${i.providerFailures.map((f) => `${f.provider}: ${f.error}`).join('; ')}`);
  if (envError) lines.push(envError);
  infoEl.textContent = lines.join('\n');
}

/** policy.info.greedyGraph in words: the pruned noise-free session greedy calls run on, or why there is none. */
function greedyGraphText(i: PolicyInfo): string {
  const g = i.greedyGraph;
  if (g === null) return `none, greedy calls run the full graph (${i.greedyGraphReason || 'no reason given'})`;
  const removed = g.outputsRemoved.length > 0 ? `; outputs left out: ${g.outputsRemoved.join(', ')}` : '';
  return `${g.nodesKept} nodes kept, ${g.nodesRemoved} removed (the sampling head)${removed}`;
}

// ------------------------------------------------------------------------------------------------
// Acting
// ------------------------------------------------------------------------------------------------

function resetEpisode(seed: number): void {
  episode = { seed, index: episode.seed === seed ? episode.index : 0, steps: 0, ret: 0, done: false, lastAction: '', lastMs: 0 };
  noise = new Rng(seed >>> 0);
  obs = env ? env.reset({ seed: seed >>> 0 }).obs : null;
}

function formatAction(a: number | ArrayLike<number>): string {
  if (typeof a === 'number') {
    if (meta?.envId === 'CartPole-v1') return `${a} (${a === 1 ? 'push right' : 'push left'})`;
    return String(a);
  }
  return `[${Array.from(a, (x) => fixed(x, 4)).join(', ')}]`;
}

/**
 * The chart for one observation, from the greedy outputs (mode 'greedy' draws no noise, so a
 * sampled episode's noise stream is unaffected): mixture weights, component Q values or Q values.
 */
async function chartFor(o: Float32Array): Promise<Chart | null> {
  if (!policy || !meta) return null;
  const fam = meta.family;
  const a = meta.actionSpace;
  const r = (await policy.outputs(o, { mode: 'greedy' })).outputs;
  const legend = 'greedy choice';
  if (fam === 'mixture-actor') {
    const w = Array.from(r['weights']!.data);
    const K = w.length;
    const A = a.n;
    const means = r['means']!.data;
    const low = a.low ?? [];
    const high = a.high ?? [];
    const labels = w.map((_, k) => {
      const acts = Array.from({ length: A }, (_, d) => low[d]! + (Math.tanh(means[k * A + d]!) + 1) * ((high[d]! - low[d]!) / 2));
      return `k=${k}: a=${acts.map((x) => fixed(x, 2)).join(',')}`;
    });
    return {
      title: `mixture weights (K = ${K}) · label: component's action at its mean`,
      values: w,
      labels,
      highlight: argmax(w),
      kind: 'weights',
      legend,
    };
  }
  const q = Array.from(r['q']!.data);
  if (fam === 'gamid-actor') {
    const ca = r['component_actions']!.data;
    const A = a.n;
    const labels = q.map((_, c) => `μ${c}=${Array.from(ca.subarray(c * A, c * A + A), (x) => fixed(x, 2)).join(',')}`);
    return {
      title: `component Q values (C = ${q.length}) · label: component's action`,
      values: q,
      labels,
      highlight: argmax(q),
      kind: 'signed',
      legend,
    };
  }
  return {
    title: `Q values (${q.length} actions)`,
    values: q,
    labels: actionLabels(q.length),
    highlight: argmax(q),
    kind: 'signed',
    legend,
  };
}

function actionLabels(n: number): string[] {
  const a = meta?.actionSpace;
  if (a?.kind === 'grid' && Array.isArray(a.values)) {
    return (a.values as (number | number[])[]).map((v) => (Array.isArray(v) ? v.map((x) => fixed(x, 2)).join(',') : fixed(Number(v), 2)));
  }
  if (meta?.envId === 'CartPole-v1' && n === 2) return ['0: left', '1: right'];
  return Array.from({ length: n }, (_, i) => `a=${i}`);
}

function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

async function updateChart(): Promise<void> {
  chart = obs ? await chartFor(obs) : null;
}

/** One environment step with the current policy. Returns false when the episode is over. */
async function stepOnce(mode: Mode, withChart: boolean): Promise<boolean> {
  if (!policy || !env || !obs || episode.done) return false;
  if (withChart) chart = await chartFor(obs);
  const t0 = performance.now();
  const action = await policy.envAction(obs, mode === 'greedy' ? { mode } : { mode, rng: noise });
  episode.lastMs = performance.now() - t0;
  const r = env.step(action);
  episode.steps++;
  episode.ret += r.reward;
  episode.lastAction = formatAction(action);
  lastRawAction = action;
  obs = r.obs;
  if (chart && !isActor(meta!.family) && typeof action === 'number') {
    chart.highlight = action;
    chart.legend = mode === 'greedy' ? 'action taken (greedy)' : 'action taken (sampled)';
  }
  if (r.terminated || r.truncated) episode.done = true;
  return !episode.done;
}

// ------------------------------------------------------------------------------------------------
// The live loop
// ------------------------------------------------------------------------------------------------

function stepInterval(): number {
  if (meta?.envId === 'CartPole-v1') return 20; // tau = 0.02 s
  if (meta?.envId.includes('Pendulum')) return 50; // dt = 0.05 s
  return 33;
}

function stop(): void {
  playing = false;
  loopToken++;
  playButton.textContent = 'Play';
}

function play(): void {
  if (!policy || !env) return;
  playing = true;
  playButton.textContent = 'Pause';
  const token = ++loopToken;
  const tick = async (): Promise<void> => {
    if (token !== loopToken) return;
    const started = performance.now();
    try {
      await exclusive(async () => {
        if (token !== loopToken) return;
        if (episode.done) {
          const next = episode.seed + 1;
          seedInput.value = String(next);
          resetEpisode(next);
        }
        await stepOnce(currentMode(), true);
        draw();
      });
    } catch (err) {
      stop();
      showError(err);
      return;
    }
    if (token !== loopToken) return;
    const pause = episode.done ? 1200 : Math.max(0, stepInterval() - (performance.now() - started));
    setTimeout(() => void tick(), pause);
  };
  void tick();
}

// ------------------------------------------------------------------------------------------------
// Drawing
// ------------------------------------------------------------------------------------------------

function draw(): void {
  drawEnv();
  drawChart();
  const m = currentMode();
  statusEl.textContent = [
    `episode seed    ${episode.seed}   mode ${m}`,
    `step            ${episode.steps}${episode.done ? ' (episode over)' : ''}`,
    `return          ${fixed(episode.ret, 3)}`,
    `last action     ${episode.lastAction || '—'}`,
    `inference       ${episode.lastMs ? `${episode.lastMs.toFixed(2)} ms (envAction, this step)` : '—'}`,
    `observation     ${obs ? `[${Array.from(obs, (x) => fixed(x, 3)).join(', ')}]` : '—'}`,
  ].join('\n');
}

function drawEnv(): void {
  const ctx = envCanvas.getContext('2d')!;
  const W = envCanvas.width;
  const H = envCanvas.height;
  ctx.clearRect(0, 0, W, H);
  ctx.font = '13px system-ui, sans-serif';
  if (!env || !obs) {
    ctx.fillStyle = '#5a6270';
    ctx.fillText(envError || 'No model loaded.', 16, 28);
    return;
  }
  const s = env.state;
  if (env.id === 'CartPole-v1') drawCartPole(ctx, W, H, s);
  else if (env.id === 'Pendulum-v1' || env.id === 'SparsePendulum-v0') drawPendulum(ctx, W, H, s);
  else drawObservation(ctx, W, H, obs);
  ctx.fillStyle = '#1d2330';
  ctx.fillText(`${env.id}   step ${episode.steps}   return ${fixed(episode.ret, 2)}${episode.done ? '   (episode over)' : ''}`, 12, 20);
}

function drawCartPole(ctx: CanvasRenderingContext2D, W: number, H: number, s: Float64Array): void {
  const worldWidth = 2.4 * 2 * 1.1;
  const scale = W / worldWidth;
  const trackY = H * 0.72;
  const x = s[0]!;
  const theta = s[2]!;
  // track and the ±2.4 termination bounds
  ctx.strokeStyle = '#8a919e';
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(0, trackY);
  ctx.lineTo(W, trackY);
  ctx.stroke();
  ctx.fillStyle = '#d9534f';
  for (const b of [-2.4, 2.4]) ctx.fillRect(W / 2 + b * scale - 1, trackY - 10, 2, 20);
  const cx = W / 2 + x * scale;
  const cartW = 50;
  const cartH = 30;
  ctx.fillStyle = '#2f3b52';
  ctx.fillRect(cx - cartW / 2, trackY - cartH / 2, cartW, cartH);
  // pole: full length 1.0 m (LENGTH = 0.5 is half the pole), theta > 0 leans right
  const poleLen = scale * 1.0;
  const px = cx + poleLen * Math.sin(theta);
  const py = trackY - cartH / 2 - poleLen * Math.cos(theta);
  ctx.strokeStyle = '#c8893e';
  ctx.lineWidth = 8;
  ctx.lineCap = 'round';
  ctx.beginPath();
  ctx.moveTo(cx, trackY - cartH / 2);
  ctx.lineTo(px, py);
  ctx.stroke();
  ctx.fillStyle = '#7f8fb0';
  ctx.beginPath();
  ctx.arc(cx, trackY - cartH / 2, 5, 0, 2 * Math.PI);
  ctx.fill();
  // the last push
  if (episode.lastAction) {
    const right = episode.lastAction.startsWith('1');
    const ax = cx + (right ? -cartW / 2 - 34 : cartW / 2 + 34);
    arrow(ctx, ax, trackY, ax + (right ? 26 : -26), trackY, '#3c78d8');
  }
}

function drawPendulum(ctx: CanvasRenderingContext2D, W: number, H: number, s: Float64Array): void {
  const cx = W / 2;
  const cy = H / 2 + 10;
  const L = Math.min(W, H) * 0.36;
  const th = s[0]!;
  // theta = 0 is upright; positive theta turns counter-clockwise (Gymnasium's rendering)
  const tx = cx - L * Math.sin(th);
  const ty = cy - L * Math.cos(th);
  ctx.strokeStyle = '#e2e5ea';
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.arc(cx, cy, L, 0, 2 * Math.PI);
  ctx.stroke();
  ctx.strokeStyle = '#c0392b';
  ctx.lineWidth = 14;
  ctx.lineCap = 'round';
  ctx.beginPath();
  ctx.moveTo(cx, cy);
  ctx.lineTo(tx, ty);
  ctx.stroke();
  ctx.fillStyle = '#2f3b52';
  ctx.beginPath();
  ctx.arc(cx, cy, 6, 0, 2 * Math.PI);
  ctx.fill();
  // torque: an arc around the pivot, counter-clockwise for u > 0, length ∝ |u| / 2
  const m = /^\[(-?[\d.]+)/.exec(episode.lastAction);
  if (m) {
    const u = Math.max(-2, Math.min(2, Number(m[1])));
    const span = (Math.abs(u) / 2) * Math.PI * 0.9;
    const r = 34;
    const start = -Math.PI / 2;
    ctx.strokeStyle = '#3c78d8';
    ctx.lineWidth = 3;
    ctx.beginPath();
    if (u >= 0) ctx.arc(cx, cy, r, start, start - span, true);
    else ctx.arc(cx, cy, r, start, start + span, false);
    ctx.stroke();
    ctx.fillStyle = '#3c78d8';
    ctx.fillText(`u = ${fixed(u, 3)}`, cx + 44, cy - 30);
  }
}

function drawObservation(ctx: CanvasRenderingContext2D, W: number, H: number, o: Float32Array): void {
  const n = o.length;
  const bw = Math.min(60, (W - 40) / n - 8);
  const mid = H / 2 + 10;
  const maxAbs = Math.max(1e-9, ...Array.from(o, Math.abs));
  ctx.fillStyle = '#5a6270';
  ctx.fillText('observation (no drawing for this environment)', 12, 40);
  for (let i = 0; i < n; i++) {
    const h = (o[i]! / maxAbs) * (H / 2 - 50);
    const x = 20 + i * (bw + 8);
    ctx.fillStyle = '#3c78d8';
    ctx.fillRect(x, h >= 0 ? mid - h : mid, bw, Math.abs(h));
    ctx.fillStyle = '#1d2330';
    ctx.fillText(fixed(o[i]!, 2), x, mid + H / 2 - 20);
  }
}

function arrow(ctx: CanvasRenderingContext2D, x0: number, y0: number, x1: number, y1: number, color: string): void {
  const d = Math.sign(x1 - x0);
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineWidth = 4;
  ctx.beginPath();
  ctx.moveTo(x0, y0);
  ctx.lineTo(x1 - d * 8, y1);
  ctx.stroke();
  ctx.beginPath();
  ctx.moveTo(x1, y1);
  ctx.lineTo(x1 - d * 10, y1 - 7);
  ctx.lineTo(x1 - d * 10, y1 + 7);
  ctx.closePath();
  ctx.fill();
}

function drawChart(): void {
  const ctx = chartCanvas.getContext('2d')!;
  const W = chartCanvas.width;
  const H = chartCanvas.height;
  ctx.clearRect(0, 0, W, H);
  ctx.font = '12px system-ui, sans-serif';
  if (!chart) {
    ctx.fillStyle = '#5a6270';
    ctx.fillText(policy ? 'no chart for this model with this runtime' : '', 12, 20);
    return;
  }
  const { values, labels, highlight } = chart;
  ctx.fillStyle = '#1d2330';
  ctx.fillText(chart.title, 12, 18);
  const top = 34;
  const bottom = H - 34;
  // Axis: [0, 1] for weights; for values [min(0, ·), max(0, ·)], unless they all share a sign and
  // differ by little relative to their size (Q values usually do): then the axis is zoomed onto
  // them, bars start at its lower end, and both ends are labelled.
  let lo = 0;
  let hi = 1;
  let base = 0;
  let zoomed = false;
  if (chart.kind === 'signed') {
    const vmin = Math.min(...values);
    const vmax = Math.max(...values);
    const spread = vmax - vmin;
    const size = Math.max(Math.abs(vmin), Math.abs(vmax));
    zoomed = (vmin > 0 || vmax < 0) && spread < 0.5 * size;
    if (zoomed) {
      const pad = Math.max(spread, size * 1e-6);
      lo = vmin - pad;
      hi = vmax + 0.2 * pad;
      base = lo;
    } else {
      lo = Math.min(0, vmin);
      hi = Math.max(0, vmax) || 1;
    }
  }
  const span = hi - lo || 1;
  const y = (v: number): number => bottom - ((v - lo) / span) * (bottom - top);
  const n = values.length;
  const gap = 8;
  const left = zoomed ? 70 : 12;
  const bw = Math.max(4, Math.min(120, (W - left - 12 - gap * (n - 1)) / n));
  ctx.strokeStyle = '#8a919e';
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(8, y(base));
  ctx.lineTo(W - 8, y(base));
  ctx.stroke();
  if (zoomed) {
    ctx.fillStyle = '#5a6270';
    ctx.fillText(formatValue(hi), 8, top + 10);
    ctx.fillText(formatValue(lo), 8, bottom - 4);
    ctx.fillText('(zoomed)', 8, (top + bottom) / 2);
  }
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    const x = left + i * (bw + gap);
    ctx.fillStyle = i === highlight ? '#e67e22' : '#3c78d8';
    const y0 = y(base);
    const y1 = y(v);
    ctx.fillRect(x, Math.min(y0, y1), bw, Math.max(1, Math.abs(y1 - y0)));
    ctx.fillStyle = '#1d2330';
    if (bw >= 28) {
      ctx.fillText(formatValue(v), x, Math.min(y0, y1) - 4 < top ? top + 12 : Math.min(y0, y1) - 4);
      ctx.fillText(labels[i] ?? '', x, H - 16);
    }
  }
  ctx.fillStyle = '#e67e22';
  ctx.textAlign = 'right';
  ctx.fillText(`■ ${chart.legend}`, W - 12, 18);
  ctx.textAlign = 'left';
}

function formatValue(v: number): string {
  return Math.abs(v) >= 100 ? fixed(v, 1) : Math.abs(v) >= 1 ? fixed(v, 3) : fixed(v, 4);
}

// ------------------------------------------------------------------------------------------------
// Controls
// ------------------------------------------------------------------------------------------------

playButton.addEventListener('click', () => (playing ? stop() : play()));
stepButton.addEventListener('click', () => {
  stop();
  void exclusive(async () => {
    if (episode.done) resetEpisode(episode.seed);
    await stepOnce(currentMode(), true);
    draw();
  }).catch(showError);
});
resetButton.addEventListener('click', () => {
  void exclusive(async () => {
    resetEpisode(Number(seedInput.value) >>> 0);
    await updateChart();
    draw();
  }).catch(showError);
});
for (const el of Array.from(document.querySelectorAll<HTMLInputElement>('input[name=mode]'))) {
  el.addEventListener('change', () => draw());
}
modelFile.addEventListener('change', () => {
  const f = modelFile.files?.[0];
  if (!f) return;
  void exclusive(async () => {
    await loadModel(new Uint8Array(await f.arrayBuffer()), f.name);
    play();
  }).catch(showError);
});
modelSelect.addEventListener('change', () => {
  const url = modelSelect.value;
  if (!url || url === CURRENT_BYTES) return;
  void exclusive(async () => {
    await loadModel(url, url.split('/').pop() ?? url);
    play();
  }).catch(showError);
});

/** An entry of models/index.json: `url` (relative to the page; serve.js --model) or models/<file>. */
interface ListEntry {
  name: string;
  file?: string;
  url?: string;
  description?: string;
}

const entryUrl = (m: ListEntry): string => m.url ?? `models/${m.file}`;

async function demoList(): Promise<ListEntry[]> {
  try {
    const res = await fetch('models/index.json');
    if (!res.ok) return [];
    const list = (await res.json()) as ListEntry[];
    return Array.isArray(list) ? list.filter((m) => typeof m.url === 'string' || typeof m.file === 'string') : [];
  } catch {
    return [];
  }
}

// ------------------------------------------------------------------------------------------------
// The test / bench API
// ------------------------------------------------------------------------------------------------

function plain(x: unknown): unknown {
  if (typeof x === 'number') return x;
  if (ArrayBuffer.isView(x)) return Array.from(x as unknown as ArrayLike<number>);
  if (Array.isArray(x)) return x.map(plain);
  return x;
}

function requirePolicy(): Policy {
  if (!policy) throw new Error('gmmrlPage: no model loaded; call load(src) first.');
  return policy;
}

/** Nearest-rank percentile of ascending `sorted` (bench/stats.ts's definition). */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function chartSnapshot(): { title: string; values: number[]; labels: string[]; legend: string } | null {
  return chart ? { title: chart.title, values: [...chart.values], labels: [...chart.labels], legend: chart.legend } : null;
}

const gmmrlPage = {
  /** src: a URL (relative to the page) or { base64 } of the model bytes. */
  /** Loads a model (by default on the wasm provider; spec/browser/webgpu.spec.ts passes ['webgpu']). */
  load: (src: string | { base64: string }, name?: string, providers?: WebExecutionProvider[]) =>
    exclusive(async () => {
      const bytes = typeof src === 'string' ? src : base64ToBytes(src.base64);
      await loadModel(bytes, name ?? (typeof src === 'string' ? src : 'model.onnx'), providers);
      return gmmrlPage.info();
    }),
  info: () => {
    const p = requirePolicy();
    const m = metaOf(p.info);
    return {
      family: m.family,
      envId: m.envId,
      components: m.components,
      sampling: m.sampling,
      backend: p.info.backend,
      executionProvider: p.info.executionProvider,
      byteLength: p.info.byteLength,
      greedyGraph: p.info.greedyGraph,
      greedyGraphReason: p.info.greedyGraphReason,
      modelName,
      ortVersion: ort.env.versions?.web ?? null,
      ortBuild: ORT_BUILD,
      wasmThreads: ort.env.wasm.numThreads ?? null,
      userAgent: navigator.userAgent,
    };
  },
  /**
   * act() on `rows` as one batch and on each row alone (mode 'sample': noise from Rng(seed), drawn
   * row by row in the same order for both). Q families: indices; actors: action vectors.
   */
  actions: (rows: number[][], mode: Mode = 'greedy', seed = 0) =>
    exclusive(async () => {
      const p = requirePolicy();
      const opts = (): ActOptions => (mode === 'greedy' ? { mode } : { mode, rng: new Rng(seed) });
      const batch = plain(await p.act(rows, opts()));
      const o = opts();
      const single: unknown[] = [];
      for (const r of rows) single.push(plain(await p.act(r, o)));
      return { batch, single };
    }),
  /** Every output policy.outputs returns for `rows` (mode 'sample': noise from Rng(seed)). */
  outputs: (rows: number[][], mode: Mode = 'greedy', seed = 0) =>
    exclusive(async () => {
      const p = requirePolicy();
      const r = await p.outputs(rows, mode === 'greedy' ? { mode } : { mode, rng: new Rng(seed) });
      return Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, { dims: v.dims, data: Array.from(v.data) }]));
    }),
  /** One whole episode (env seed `seed`; sampled noise from Rng(seed)), drawn once at the end. */
  runEpisode: (seed: number, mode: Mode = 'greedy', opts: { maxSteps?: number } = {}) => {
    stop();
    return exclusive(async () => {
      requirePolicy();
      if (!env) throw new Error(`gmmrlPage.runEpisode: ${envError || 'no environment'}`);
      document.querySelector<HTMLInputElement>(`input[name=mode][value=${mode}]`)!.checked = true;
      seedInput.value = String(seed);
      resetEpisode(seed);
      const actions: unknown[] = [];
      const max = opts.maxSteps ?? Infinity;
      let going = true;
      while (going && episode.steps < max) {
        going = await stepOnce(mode, false);
        actions.push(plain(lastRawAction));
      }
      await updateChart();
      draw();
      return { return: episode.ret, steps: episode.steps, done: episode.done, actions };
    });
  },
  /**
   * Latency of act() in this page (greedy): `calls` single-observation calls after `warmup` calls
   * (and at least `warmupMs` of them), each
   * timed alone with performance.now(), cycling through `rows`; then a batch of `batch` rows (cycled
   * from `rows`): 2 warm-up runs, `batchRuns` timed runs, throughput = batch / median run time.
   * Percentiles are nearest-rank (bench/stats.ts). Times in µs (single) and ms (batch).
   */
  latency: (o: { rows: number[][]; calls?: number; warmup?: number; warmupMs?: number; batch?: number; batchRuns?: number }) =>
    exclusive(async () => {
      const p = requirePolicy();
      stop();
      const rows = o.rows.map((r) => Float32Array.from(r));
      const calls = o.calls ?? 2000;
      const warmup = o.warmup ?? Math.max(100, Math.floor(calls / 10));
      const N = o.batch ?? 1024;
      const runs = o.batchRuns ?? 50;
      const greedy: ActOptions = { mode: 'greedy' };
      // warm-up: `warmup` calls and at least `warmupMs` (the browser compiles the 14–27 MiB of
      // onnxruntime wasm to its optimizing tier in the background for a while after startup)
      const w0 = performance.now();
      for (let i = 0; i < warmup || performance.now() - w0 < (o.warmupMs ?? 0); i++) await p.act(rows[i % rows.length]!, greedy);
      const t = new Array<number>(calls);
      for (let i = 0; i < calls; i++) {
        const t0 = performance.now();
        await p.act(rows[i % rows.length]!, greedy);
        t[i] = (performance.now() - t0) * 1000;
      }
      const mean = t.reduce((a, b) => a + b, 0) / calls;
      t.sort((a, b) => a - b);
      const D = rows[0]!.length;
      const batch = new Float32Array(N * D);
      for (let i = 0; i < N; i++) batch.set(rows[i % rows.length]!, i * D);
      for (let i = 0; i < 2; i++) await p.act(batch, greedy);
      const tb = new Array<number>(runs);
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        await p.act(batch, greedy);
        tb[i] = performance.now() - t0;
      }
      tb.sort((a, b) => a - b);
      const median = percentile(tb, 50);
      return {
        calls,
        warmup,
        singleP50us: percentile(t, 50),
        singleP99us: percentile(t, 99),
        singleMeanUs: mean,
        batchN: N,
        batchRuns: runs,
        batchMedianMs: median,
        batchObsPerSec: (N / median) * 1000,
        timerResolutionUs: timerResolution() * 1000,
        crossOriginIsolated: globalThis.crossOriginIsolated === true,
        wasmThreads: ort.env.wasm.numThreads ?? null,
      };
    }),
  /**
   * One step of the current episode (as the Step button, without stopping a test's flow): returns
   * what the page shows afterwards (the status text, the chart) and the raw observation and action.
   */
  step: (mode: Mode = 'greedy') =>
    exclusive(async () => {
      requirePolicy();
      if (episode.done) resetEpisode(episode.seed);
      await stepOnce(mode, true);
      draw();
      return {
        status: statusEl.textContent ?? '',
        chart: chartSnapshot(),
        obs: obs ? Array.from(obs) : null,
        action: plain(lastRawAction),
      };
    }),
  /** The chart as drawn (title, values, bar labels, legend), or null. */
  chart: () => chartSnapshot(),
  /** The page's number formatting (labels, status): fixed(x, digits). */
  fixed,
  stop,
  play,
};

/** The smallest positive step of performance.now() observed (browsers coarsen it). */
function timerResolution(): number {
  let best = Infinity;
  for (let i = 0; i < 50; i++) {
    const a = performance.now();
    let b = performance.now();
    while (b === a) b = performance.now();
    best = Math.min(best, b - a);
  }
  return best;
}

declare global {
  interface Window {
    gmmrlPage: typeof gmmrlPage;
  }
}
window.gmmrlPage = gmmrlPage;

// ------------------------------------------------------------------------------------------------
// Start
// ------------------------------------------------------------------------------------------------

async function start(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const autoplay = params.get('autoplay') !== '0';
  const list = await demoList();
  for (const m of list) {
    const opt = document.createElement('option');
    opt.value = entryUrl(m);
    opt.textContent = `${m.name}${m.description ? ` — ${m.description}` : ''}`;
    modelSelect.append(opt);
  }
  const url = params.get('model') ?? (list[0] ? entryUrl(list[0]) : null);
  renderInfo();
  draw();
  document.body.dataset['state'] = 'ready';
  if (url) {
    const listed = list.find((m) => entryUrl(m) === url);
    await exclusive(() => loadModel(url, listed?.name ?? decodeURIComponent(url.split('/').pop() ?? url)));
    if (autoplay) play();
  } else {
    stop();
  }
}

start().catch(showError);

export {};
