/**
 * examples/library and README's "Library" section cannot drift apart: the section's TypeScript
 * block is the example file, character for character; the compiled example runs train → save →
 * export → verify → assertParity → an ONNX Runtime episode on a tiny budget; and the section's CI
 * job (GitHub Actions YAML) runs its `npx gmmrl` steps here as written, through the package's bin.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suiteTempDir } from '../helpers.js';

// dist/spec/examples/library.spec.js → repository root
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const EXAMPLE_TS = join(ROOT, 'examples', 'library', 'train-export-verify.ts');
const EXAMPLE_JS = join(ROOT, 'dist', 'examples', 'library', 'train-export-verify.js');
const BIN = join(ROOT, 'dist', 'sdk', 'bin.js');

/** README's "Library" section (up to the next level-2 heading). */
function librarySection(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Library\n');
  expect(start, 'README has a "## Library" section').to.be.above(-1);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** The fenced blocks of `lang` in `text`, in order. */
function fencedBlocks(text: string, lang: string): string[] {
  return [...text.matchAll(new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```$', 'gm'))].map((m) => m[1]!);
}

/** The commands of a workflow's `- run: …` steps. */
function runSteps(yaml: string): string[] {
  return [...yaml.matchAll(/^\s*- run: (.+)$/gm)].map((m) => m[1]!.trim());
}

describe('examples/library: README "Library" is the example file, and both run', function () {
  this.timeout(180_000);
  const tmp = suiteTempDir('gmmrl-library-example-');

  it('README\'s first TypeScript block in "Library" is examples/library/train-export-verify.ts exactly', () => {
    const [block] = fencedBlocks(librarySection(), 'ts');
    expect(block).to.equal(readFileSync(EXAMPLE_TS, 'utf8'));
  });

  it('the compiled example trains, saves, exports, verifies, asserts parity and runs an episode with ONNX Runtime', () => {
    const dir = join(tmp(), 'example');
    const p = spawnSync(process.execPath, [EXAMPLE_JS, 'gmmqf', '2000', dir], { encoding: 'utf8' });
    expect(p.status, p.stderr).to.equal(0);
    const last = p.stdout.trim().split('\n').at(-1)!;
    expect(last).to.match(/^gmmqf → gmmqf .*policy\.onnx: parity PASS, one episode's return \d+$/);
    for (const f of ['checkpoint/config.json', 'checkpoint/weights.safetensors', 'policy.onnx'])
      expect(existsSync(join(dir, f)), f).to.equal(true);
    // run again into the same folder: the checkpoint is replaced ({ overwrite: true }), not refused
    const again = spawnSync(process.execPath, [EXAMPLE_JS, 'gmmqf', '2000', dir], { encoding: 'utf8' });
    expect(again.status, again.stderr).to.equal(0);
  });

  it('an unknown algorithm is refused with exit 2 naming it and the choices', () => {
    const p = spawnSync(process.execPath, [EXAMPLE_JS, 'ppo', '10', join(tmp(), 'none')], { encoding: 'utf8' });
    expect(p.status).to.equal(2);
    expect(p.stderr).to.contain('unknown algorithm "ppo"; pass one of gmmqf, sgmmqf, dqn, sac, td3, gamid');
    expect(existsSync(join(tmp(), 'none'))).to.equal(false);
  });

  it("README's CI job installs, then trains, exports and verifies with npx gmmrl; its steps run here as written", () => {
    const blocks = fencedBlocks(librarySection(), 'yaml');
    expect(blocks).to.have.length(1);
    const yaml = blocks[0]!;
    for (const key of [
      /^on: /m,
      /^jobs:$/m,
      /^\s+runs-on: ubuntu-latest$/m,
      /uses: actions\/setup-node@v4/,
      /node-version: (2\d|[3-9]\d)$/m,
      /^\s+ONNXRUNTIME_NODE_INSTALL: skip$/m, // npm 10 ignores allowScripts (README, Installing)
    ])
      expect(yaml).to.match(key);
    const steps = runSteps(yaml);
    expect(steps[0]).to.equal('npm ci'); // the project's own install; here the built repository stands for the installed package
    const gmmrl = steps.slice(1);
    expect(gmmrl.map((s) => s.split(' ').slice(0, 3).join(' '))).to.deep.equal(['npx gmmrl train', 'npx gmmrl export', 'npx gmmrl verify']);
    const cwd = join(tmp(), 'ci');
    rmSync(cwd, { recursive: true, force: true });
    mkdirSync(cwd, { recursive: true });
    let verifyOut = '';
    for (const step of gmmrl) {
      expect(step, 'plain words only (no quoting or shell syntax to interpret)').to.match(/^[\w ./=-]+$/);
      const p = spawnSync(process.execPath, [BIN, ...step.split(' ').slice(2)], { cwd, encoding: 'utf8' });
      expect(p.status, `${step}\n${p.stderr}`).to.equal(0);
      verifyOut = p.stdout;
    }
    expect(verifyOut).to.match(/^verify: PASS on \d+ states/m);
  });
});
