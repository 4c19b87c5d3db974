/**
 * `--backend webgpu` (sdk/backend.ts): the `webgpu` package (Dawn for Node) and
 * @tensorflow/tfjs-backend-webgpu, both optional and detected at run time.
 *
 * Every check runs in a child process (dist/spec/sdk/webgpu-check.js): Dawn finds its Vulkan loader
 * and driver from the environment at process start, and this process's backend must not change.
 * On a machine without a GPU the WebGPU checks use SwiftShader, the software Vulkan driver that
 * Debian's chromium package ships with its own Vulkan loader (/usr/lib/chromium): correct, slow,
 * never a speed figure. They are skipped (with the reason) only where that driver is missing, and
 * required where GMMRL_REQUIRE_BROWSER=1 (CI installs chromium).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { VULKAN_DIRS, describeAdapter, parseBackendName } from '../../sdk/backend.js';
import { loadDqnCheckpoint } from '../../models/dqn/checkpoint.js';

const CHECK = join(dirname(fileURLToPath(import.meta.url)), 'webgpu-check.js');
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'sdk', 'bin.js');
const CHROMIUM = '/usr/lib/chromium';
const ICD = join(CHROMIUM, 'vk_swiftshader_icd.json');
const swiftShader = existsSync(ICD) && existsSync(join(CHROMIUM, 'libvulkan.so.1'));
const REQUIRED = process.env['GMMRL_REQUIRE_BROWSER'] === '1';
/** Whether the system (not chromium's folder) provides a Vulkan loader where sdk/backend.ts looks. */
const systemVulkan = VULKAN_DIRS.some((d) => existsSync(join(d, 'libvulkan.so.1')));

interface Selected {
  name?: string;
  adapter?: string | null;
  skipped?: { name: string; reason: string }[];
  error?: string | null;
  errorName?: string;
}

/** Runs the check script with Vulkan configured (`swiftshader`) or with no Vulkan loader at all. */
function check(args: string[], vulkan: 'swiftshader' | 'none'): { out: Record<string, unknown>; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['LD_LIBRARY_PATH'];
  delete env['VK_ICD_FILENAMES'];
  if (vulkan === 'swiftshader') {
    env['LD_LIBRARY_PATH'] = CHROMIUM;
    env['VK_ICD_FILENAMES'] = ICD;
  }
  const p = spawnSync(process.execPath, [CHECK, ...args], { encoding: 'utf8', env, timeout: 110_000 });
  expect(p.status, `${args.join(' ')}: ${p.stderr}`).to.equal(0);
  return { out: JSON.parse(p.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>, stderr: p.stderr };
}

describe('sdk/backend: webgpu', function () {
  this.timeout(120_000);

  it('is a backend name (--backend webgpu)', () => {
    expect(parseBackendName('webgpu')).to.equal('webgpu');
  });

  it('describeAdapter names the adapter and marks software ones (fallback flag, or SwiftShader)', () => {
    expect(describeAdapter({ info: { vendor: 'nvidia', architecture: 'ampere', description: 'NVIDIA RTX A4000' } })).to.deep.equal({
      text: 'nvidia ampere (NVIDIA RTX A4000)',
      software: false,
    });
    expect(describeAdapter({ info: { vendor: 'google', architecture: 'swiftshader', description: '' } })).to.deep.equal({
      text: 'google swiftshader, software',
      software: true,
    });
    expect(describeAdapter({ info: { vendor: 'mesa', architecture: '', isFallbackAdapter: true } }).software).to.equal(true);
    expect(describeAdapter({ isFallbackAdapter: true }).text).to.equal('unnamed adapter, software');
  });

  describe('on a machine without a Vulkan loader', function () {
    before(function () {
      if (process.platform !== 'linux' || systemVulkan) this.skip(); // a system Vulkan loader is there: see the SwiftShader checks
    });

    it('auto skips webgpu with the reason, before Dawn starts (no Dawn warning on stderr), and runs wasm', () => {
      const { out, stderr } = check(['select', 'auto'], 'none');
      const r = out as Selected;
      expect(r.name).to.equal('wasm');
      expect(r.skipped!.find((s) => s.name === 'webgpu')?.reason).to.match(/^no WebGPU adapter \(no Vulkan loader libvulkan\.so\.1/);
      expect(stderr).not.to.include('Vulkan');
    });

    it('--backend webgpu asks Dawn anyway and throws a BackendError naming the cause and the install command', () => {
      const r = check(['select', 'webgpu'], 'none').out as Selected;
      expect(r.errorName).to.equal('BackendError');
      expect(r.error).to.include('webgpu: no WebGPU adapter (requestAdapter returned null');
      expect(r.error).to.include('npm install webgpu @tensorflow/tfjs-backend-webgpu');
    });
  });

  describe('on SwiftShader (software Vulkan)', function () {
    before(function () {
      if (!swiftShader) {
        if (REQUIRED)
          throw new Error(
            `GMMRL_REQUIRE_BROWSER=1 but SwiftShader is missing (${ICD} and ${CHROMIUM}/libvulkan.so.1; apt install chromium)`,
          );
        this.skip(); // no SwiftShader driver here (Debian's chromium package installs it)
      }
    });

    it('auto skips the software adapter, saying why; --backend webgpu takes it and reports it', () => {
      const auto = check(['select', 'auto'], 'swiftshader').out as Selected;
      expect(auto.name).to.equal('wasm');
      expect(auto.skipped!.find((s) => s.name === 'webgpu')?.reason).to.match(
        /^only a software adapter, google swiftshader \(SwiftShader driver [^)]*\), software: far slower than wasm/,
      );
      const explicit = check(['select', 'webgpu'], 'swiftshader').out as Selected;
      expect(explicit.name).to.equal('webgpu');
      expect(explicit.adapter).to.match(/^google swiftshader .*, software$/);
      expect(explicit.skipped).to.deep.equal([]);
    });

    it('3 SAC SG-RP updates and 3 DQN updates from the same weights agree with cpu within float32 rounding', () => {
      const r = check(['updates'], 'swiftshader').out as { sac: number; dqn: number; sacMoved: number; dqnMoved: number };
      // max |webgpu − cpu| / (1 + max |cpu|) over every parameter: float32 rounding of different
      // summation orders (ε = 1.2e-7), far below what the updates moved the weights (≈ 1e-3)
      expect(r.sac).to.be.below(1e-5);
      expect(r.dqn).to.be.below(1e-5);
      expect(r.sacMoved).to.be.above(1e-4);
      expect(r.dqnMoved).to.be.above(1e-4);
    });

    it('a short training run on webgpu learns: 12 DQN updates on a fixed batch cut the TD loss (float64 reference)', () => {
      const r = check(['learn', '12'], 'swiftshader').out as { before: number; after: number };
      expect(r.after).to.be.below(0.7 * r.before);
    });

    it('gmmrl train dqn --backend webgpu runs to completion in Node; its checkpoint loads and is close to the same run on cpu', () => {
      const dir = mkdtempSync(join(tmpdir(), 'gmmrl-webgpu-dqn-'));
      try {
        const env: NodeJS.ProcessEnv = { ...process.env, LD_LIBRARY_PATH: CHROMIUM, VK_ICD_FILENAMES: ICD };
        const run = (backend: string) => {
          const args = [BIN, 'train', 'dqn', '--env', 'CartPole-v1', '--steps', '160', '--warmup-steps', '60', '--hidden', '16,16'];
          args.push('--batch-size', '16', '--eval-every', '50', '--eval-episodes', '1', '--backend', backend, '--out', join(dir, backend));
          const p = spawnSync(process.execPath, args, { encoding: 'utf8', env, timeout: 110_000 });
          expect(p.status, `${backend}: ${p.stderr}`).to.equal(0);
          return { out: p.stdout + p.stderr, ckpt: loadDqnCheckpoint(join(dir, backend)) };
        };
        const gpu = run('webgpu');
        expect(gpu.out).to.match(/backend: webgpu \(tfjs [^;]*; adapter google swiftshader/);
        expect(gpu.out).to.include('100 updates');
        const cpu = run('cpu');
        // 100 updates from the same seed: float32 rounding of different summation orders only
        // (the ε-greedy actions and the replay samples agree), far below what training moved
        const flat = (c: typeof gpu.ckpt) => [...c.params.weights, ...c.params.biases].flatMap((a) => Array.from(a));
        const g = flat(gpu.ckpt);
        const c = flat(cpu.ckpt);
        expect(g.length).to.equal(c.length);
        const scale = 1 + Math.max(...c.map(Math.abs));
        expect(Math.max(...g.map((x, i) => Math.abs(x - c[i]!))) / scale).to.be.below(1e-4);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('--backend webgpu for a trainer that reads synchronously (sac) is a BackendError naming it, before training', () => {
      const env: NodeJS.ProcessEnv = { ...process.env, LD_LIBRARY_PATH: CHROMIUM, VK_ICD_FILENAMES: ICD };
      const args = [
        BIN,
        'train',
        'sac',
        '--env',
        'Pendulum-v1',
        '--steps',
        '100',
        '--backend',
        'webgpu',
        '--out',
        join(tmpdir(), 'gmmrl-never'),
      ];
      const p = spawnSync(process.execPath, args, { encoding: 'utf8', env, timeout: 110_000 });
      expect(p.status).to.equal(2);
      expect(p.stderr).to.include('the sac trainer reads tensors synchronously (dataSync)');
      expect(p.stderr).to.include('--backend wasm');
    });

    it("a synchronous read of a GPU tensor in Node is a BackendError saying what to do (not tfjs's OffscreenCanvas ReferenceError)", () => {
      const r = check(['readsync'], 'swiftshader').out as Selected;
      expect(r.errorName).to.equal('BackendError');
      expect(r.error).to.include('cannot read a GPU tensor synchronously in Node');
      expect(r.error).to.include('--backend wasm');
    });
  });
});
