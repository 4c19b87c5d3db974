/**
 * The published packages as a dependent project gets them: scripts/pack.mjs packs @gmmrl/runtime and
 * gmmrl from the built tree, and each test installs the tarballs into a fresh app in a temporary
 * folder with only what README's "Installing" section tells a dependent to add, then runs a policy.
 *
 * The install runs from the npm registry (through npm's cache) with every other host made
 * unreachable for onnxruntime-node's install script (its proxy variables point at a closed port),
 * so a download from outside the registry fails the install instead of passing silently.
 */
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, normalize, posix } from 'node:path';
import { loadPolicy } from '../../runtime/index.node.js';
import { loadPolicy as loadPolicyWeb } from '../../runtime/index.web.js';

const ROOT = process.cwd();
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
/** What README tells a dependent to put in its package.json (npm ≥ 11.16 honours it). */
const ALLOW_SCRIPTS = { 'onnxruntime-node': false };
const README_ALLOW_SCRIPTS_LINE = '"allowScripts": { "onnxruntime-node": false }';
/** npm's first release that skips a dependency's install script denied in allowScripts. */
const NPM_ALLOW_SCRIPTS = [11, 16, 0];
const GOLDEN = join(ROOT, 'spec', 'golden');

interface Packed {
  path: string;
  bytes: number;
  files: number;
}

function npmVersion(): number[] {
  return execFileSync('npm', ['--version'], { encoding: 'utf8' }).trim().split('.').map(Number);
}

function atLeast(v: number[], min: number[]): boolean {
  for (let i = 0; i < min.length; i++) if ((v[i] ?? 0) !== min[i]) return (v[i] ?? 0) > min[i]!;
  return true;
}

/** The environment of a dependent's shell: no npm_* variables of our own `npm test`, no skip flags of ours. */
function dependentEnv(npm: number[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) || /^ONNXRUNTIME_NODE_INSTALL/i.test(k) || /^GLOBAL_AGENT_/i.test(k)) continue;
    env[k] = v;
  }
  // Any download onnxruntime-node's script tried would go through global-agent to a closed port.
  env.GLOBAL_AGENT_HTTP_PROXY = 'http://127.0.0.1:9';
  env.GLOBAL_AGENT_HTTPS_PROXY = 'http://127.0.0.1:9';
  // README: with npm older than 11.16 (which ignores allowScripts) a dependent sets this instead.
  if (!atLeast(npm, NPM_ALLOW_SCRIPTS)) env.ONNXRUNTIME_NODE_INSTALL = 'skip';
  return env;
}

function tarList(tgz: string): string[] {
  return execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l && !l.endsWith('/'))
    .map((l) => l.replace(/^package\//, ''));
}

function tarRead(tgz: string, file: string): string {
  return execFileSync('tar', ['-xzOf', tgz, `package/${file}`], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

/** Relative link targets in a markdown text ([x](target), without #anchors and URLs). */
function relativeLinks(md: string): string[] {
  const out: string[] = [];
  for (const m of md.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1]!.split('#')[0]!;
    if (!target || /^[a-z]+:/i.test(target)) continue;
    out.push(target);
  }
  return out;
}

/** Bare import specifiers of an ES module (static and dynamic imports, re-exports). */
function bareImports(source: string): string[] {
  const out = new Set<string>();
  const js = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, ''); // comments show usage, not imports
  for (const m of js.matchAll(
    /(?:^|[\s;])(?:import|export)[^'"`;]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s*['"]([^'"]+)['"]/gm,
  )) {
    const s = m[1] ?? m[2] ?? m[3]!;
    if (!s.startsWith('.')) out.add(s);
  }
  return [...out];
}

function du(dir: string): number {
  return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
}

/** A fresh app, as `npm init` would make it, plus README's allowScripts; installs `specs` and returns its folder. */
function installApp(
  root: string,
  name: string,
  specs: string[],
  npm: number[],
  allowScripts: Record<string, boolean> = ALLOW_SCRIPTS,
): string {
  const app = join(root, name);
  mkdirSync(app, { recursive: true });
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name, version: '1.0.0', private: true, type: 'module', allowScripts }, null, 2),
  );
  const r = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...specs], {
    cwd: app,
    env: dependentEnv(npm),
    encoding: 'utf8',
  });
  const out = `${r.stdout}\n${r.stderr}`;
  expect(r.status, `npm install in ${app} failed:\n${out}`).to.equal(0);
  expect(out, 'npm printed a warning').to.not.match(/npm warn/i);
  return app;
}

function run(app: string, cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { cwd: app, env: dependentEnv(npmVersion()), encoding: 'utf8', timeout: 240_000 });
  expect(r.status, `${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`).to.equal(0);
  return r.stdout;
}

function goldenCases(): { name: string; model: string; obs: number[][] }[] {
  return readdirSync(GOLDEN, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(GOLDEN, d.name, 'model.onnx')))
    .map((d) => {
      const io = JSON.parse(readFileSync(join(GOLDEN, d.name, 'io.json'), 'utf8')) as { inputs: { obs: number[][] } };
      return { name: d.name, model: join(GOLDEN, d.name, 'model.onnx'), obs: io.inputs.obs.slice(0, 8) };
    });
}

/**
 * The installed app's `entry` gives the repository runtime's greedy actions on the first rows of
 * every golden model, loading each by path (node entry) or from its bytes (web entry, which takes a
 * URL or bytes).
 */
async function expectActsLikeRepository(
  app: string,
  entry: string,
  load: (source: Uint8Array) => Promise<{ act(o: number[]): Promise<unknown> }>,
  byPath: boolean,
): Promise<void> {
  const cases = goldenCases();
  expect(cases.length).to.be.greaterThan(4);
  writeFileSync(join(app, 'cases.json'), JSON.stringify(cases));
  writeFileSync(
    join(app, 'act.mjs'),
    [
      "import { readFileSync } from 'node:fs';",
      `import { loadPolicy } from '${entry}';`,
      "const cases = JSON.parse(readFileSync('cases.json', 'utf8'));",
      'const out = {};',
      'for (const c of cases) {',
      `  const p = await loadPolicy(${byPath ? 'c.model' : 'new Uint8Array(readFileSync(c.model))'});`,
      '  out[c.name] = [];',
      '  for (const o of c.obs) { const a = await p.act(o); out[c.name].push(typeof a === "number" ? a : Array.from(a)); }',
      '}',
      'console.log(JSON.stringify(out));',
    ].join('\n'),
  );
  const got = JSON.parse(run(app, process.execPath, ['act.mjs']));
  for (const c of cases) {
    const p = await load(new Uint8Array(readFileSync(c.model)));
    const want: unknown[] = [];
    for (const o of c.obs) {
      const a = await p.act(o);
      want.push(typeof a === 'number' ? a : Array.from(a as ArrayLike<number>));
    }
    expect(got[c.name], `${entry}: ${c.name}`).to.deep.equal(want);
  }
}

describe('package: the published tarballs, installed as a dependent installs them', function () {
  this.timeout(600_000);
  let tmp: string;
  let runtimeTgz: Packed;
  let sdkTgz: Packed;
  const npm = npmVersion();

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'gmmrl-install-'));
    const out = execFileSync(process.execPath, [join(ROOT, 'scripts', 'pack.mjs'), '--out', join(tmp, 'packages'), '--json'], {
      encoding: 'utf8',
    });
    const packed = JSON.parse(out) as { runtime: Packed; sdk: Packed };
    runtimeTgz = packed.runtime;
    sdkTgz = packed.sdk;
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('README tells a dependent what to add: allowScripts for npm ≥ 11.16, ONNXRUNTIME_NODE_INSTALL=skip for older npm, and the GPU change', () => {
    expect(README).to.include(README_ALLOW_SCRIPTS_LINE);
    expect(README).to.include('ONNXRUNTIME_NODE_INSTALL=skip');
    expect(README).to.match(/npm ≥ 11\.16/);
    expect(README).to.include('ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node');
  });

  it('@gmmrl/runtime: no TensorFlow.js, ONNX Runtime as optional peers, imports only onnxruntime-* and node: builtins', () => {
    const files = tarList(runtimeTgz.path);
    const pkg = JSON.parse(tarRead(runtimeTgz.path, 'package.json'));
    expect(pkg.name).to.equal('@gmmrl/runtime');
    expect(Object.keys(pkg.dependencies)).to.deep.equal(['onnxruntime-common']);
    expect(pkg.peerDependencies).to.have.keys('onnxruntime-node', 'onnxruntime-web');
    expect(pkg.peerDependenciesMeta['onnxruntime-node'].optional).to.equal(true);
    expect(pkg.peerDependenciesMeta['onnxruntime-web'].optional).to.equal(true);
    expect(files).to.include.members([
      'README.md',
      'LICENSE',
      'dist/runtime/index.node.js',
      'dist/runtime/index.web.js',
      'dist/contract/errors.js',
    ]);
    const bare = new Set<string>();
    for (const f of files.filter((x) => x.endsWith('.js'))) for (const s of bareImports(tarRead(runtimeTgz.path, f))) bare.add(s);
    for (const s of bare) expect(/^(node:|onnxruntime-(node|web|common)$)/.test(s), `@gmmrl/runtime imports ${s}`).to.equal(true);
    expect([...bare]).to.include.members(['onnxruntime-node', 'onnxruntime-web']);
  });

  it('gmmrl: depends on @gmmrl/runtime (exact version), tfjs-core and its cpu and wasm backends, not the @tensorflow/tfjs umbrella', () => {
    const pkg = JSON.parse(tarRead(sdkTgz.path, 'package.json'));
    const rt = JSON.parse(readFileSync(join(ROOT, 'runtime', 'package.json'), 'utf8'));
    expect(pkg.dependencies['@gmmrl/runtime']).to.equal(rt.version);
    expect(pkg.dependencies).to.include.keys(
      '@tensorflow/tfjs-core',
      '@tensorflow/tfjs-backend-cpu',
      '@tensorflow/tfjs-backend-wasm',
      'onnxruntime-node',
    );
    expect(pkg.dependencies).to.not.have.any.keys('@tensorflow/tfjs', 'onnxruntime-web');
    for (const repoOnly of ['private', 'workspaces', 'devDependencies', 'scripts', 'allowScripts'])
      expect(pkg, repoOnly).to.not.have.property(repoOnly);
    expect(pkg.bin.gmmrl).to.equal('dist/sdk/bin.js');
  });

  it("gmmrl's runtime and contract modules are re-exports of @gmmrl/runtime's (one copy of each class per app)", () => {
    const files = tarList(sdkTgz.path).filter((f) => /^dist\/(runtime|contract)\/.*\.(js|d\.ts)$/.test(f));
    expect(files.length).to.be.greaterThan(20);
    for (const f of files) {
      const body = tarRead(sdkTgz.path, f);
      const lines = body.split('\n').filter((l) => l.trim() && !l.startsWith('//'));
      expect(lines, f).to.have.length(1);
      expect(lines[0], f).to.match(/^export \* from '@gmmrl\/runtime\/(node|web|contract\/[\w-]+\.js|internal\/[\w-]+\.js)';$/);
    }
  });

  it('both tarballs ship what their documents link to, and no source maps pointing at unshipped sources', () => {
    for (const t of [runtimeTgz, sdkTgz]) {
      const files = tarList(t.path);
      const have = new Set(files);
      expect(
        files.filter((f) => f.endsWith('.map')),
        t.path,
      ).to.deep.equal([]);
      for (const md of files.filter((f) => f.endsWith('.md'))) {
        for (const link of relativeLinks(tarRead(t.path, md))) {
          const target = normalize(posix.join(posix.dirname(md), link));
          const ok = have.has(target) || files.some((f) => f.startsWith(target.replace(/\/$/, '') + '/'));
          expect(ok, `${md} links to ${link}, which ${t.path} does not ship`).to.equal(true);
        }
      }
      for (const js of files.filter((f) => f.endsWith('.js')).slice(0, 400)) {
        expect(tarRead(t.path, js), js).to.not.include('sourceMappingURL');
      }
    }
    // the SDK's README links to runtime/README.md and the examples: they are in the tarball
    expect(tarList(sdkTgz.path)).to.include.members([
      'runtime/README.md',
      'examples/robot-loop/README.md',
      'examples/browser/README.md',
      'ARCHITECTURE.md',
    ]);
  });

  it('a runtime-only Node app (@gmmrl/runtime + onnxruntime-node) installs without TensorFlow.js or a CUDA download and acts like the repository runtime on every golden model', async () => {
    const app = installApp(tmp, 'robot-app', [runtimeTgz.path, 'onnxruntime-node@1.30.0'], npm);
    const nm = join(app, 'node_modules');
    expect(existsSync(join(nm, '@tensorflow')), 'TensorFlow.js installed').to.equal(false);
    expect(existsSync(join(nm, 'onnxruntime-web')), 'onnxruntime-web installed').to.equal(false);
    const bin = join(nm, 'onnxruntime-node', 'bin', 'napi-v6', process.platform, process.arch);
    expect(existsSync(join(bin, 'libonnxruntime_providers_cuda.so')), 'the CUDA provider was downloaded').to.equal(false);
    await expectActsLikeRepository(app, '@gmmrl/runtime', loadPolicy, true);
    console.log(
      `      runtime-only Node app: node_modules ${(du(nm) / 1e6).toFixed(0)} MB (onnxruntime-node ${(du(join(nm, 'onnxruntime-node')) / 1e6).toFixed(0)} MB)`,
    );
  });

  it("a runtime-only web app (@gmmrl/runtime + onnxruntime-web, README's allowScripts) installs without TensorFlow.js or onnxruntime-node and its web entry acts like the repository one", async () => {
    // README: a web app's npm lists protobufjs (from onnxruntime-web) as unreviewed; "protobufjs": false silences it
    const app = installApp(tmp, 'web-app', [runtimeTgz.path, 'onnxruntime-web@1.30.0'], npm, { protobufjs: false });
    const nm = join(app, 'node_modules');
    expect(existsSync(join(nm, '@tensorflow')), 'TensorFlow.js installed').to.equal(false);
    expect(existsSync(join(nm, 'onnxruntime-node')), 'onnxruntime-node installed').to.equal(false);
    await expectActsLikeRepository(app, '@gmmrl/runtime/web', loadPolicyWeb, false);
    console.log(
      `      runtime-only web app: node_modules ${(du(nm) / 1e6).toFixed(0)} MB (onnxruntime-web ${(du(join(nm, 'onnxruntime-web')) / 1e6).toFixed(0)} MB)`,
    );
  });

  it('an SDK app (gmmrl + @gmmrl/runtime) trains, exports and verifies through the installed CLI, type-checks, and has one error hierarchy', () => {
    const app = installApp(tmp, 'sdk-app', [runtimeTgz.path, sdkTgz.path], npm);
    const nm = join(app, 'node_modules');
    expect(existsSync(join(nm, '@tensorflow', 'tfjs')), 'the @tensorflow/tfjs umbrella installed').to.equal(false);
    expect(existsSync(join(nm, '@tensorflow', 'tfjs-layers')), 'tfjs-layers installed').to.equal(false);
    const gmmrl = join(nm, '.bin', 'gmmrl');
    const train = run(app, gmmrl, [
      'train',
      'gmmqf',
      '--env',
      'CartPole-v1',
      '--steps',
      '400',
      '--steps-per-iteration',
      '200',
      '--gd-steps',
      '3',
      '--components',
      '4',
      '--eval-episodes',
      '1',
      '--backend',
      'cpu',
      '--quiet',
      '--out',
      'runs/tiny',
    ]);
    expect(train).to.be.a('string');
    run(app, gmmrl, ['export', 'runs/tiny', '--out', 'runs/tiny/policy.onnx']);
    expect(run(app, gmmrl, ['verify', 'runs/tiny', 'runs/tiny/policy.onnx', '--states', '300'])).to.match(/^verify: PASS/m);
    writeFileSync(
      join(app, 'identity.mjs'),
      [
        "import * as sdk from 'gmmrl';",
        "import * as viaSdk from 'gmmrl/runtime';",
        "import * as rt from '@gmmrl/runtime';",
        'console.log(JSON.stringify([sdk.ModelFormatError === rt.ModelFormatError, viaSdk.loadPolicy === rt.loadPolicy, sdk.GmmrlError === rt.GmmrlError]));',
      ].join('\n'),
    );
    expect(JSON.parse(run(app, process.execPath, ['identity.mjs']))).to.deep.equal([true, true, true]);
    writeFileSync(
      join(app, 'app.ts'),
      [
        "import { assertParity, trainGmmQf, ModelFormatError } from 'gmmrl';",
        "import { loadPolicy, type Policy, type PolicyAction } from 'gmmrl/runtime';",
        "import { loadPolicy as loadRuntimeOnly } from '@gmmrl/runtime';",
        "const p: Policy = await loadPolicy('runs/tiny/policy.onnx');",
        'const a: PolicyAction = await p.act([0, 0, 0, 0]);',
        'export const used = [assertParity, trainGmmQf, ModelFormatError, loadRuntimeOnly, a];',
      ].join('\n'),
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          typeRoots: [join(ROOT, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['app.ts'],
      }),
    );
    run(app, process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
    console.log(
      `      SDK app: node_modules ${(du(nm) / 1e6).toFixed(0)} MB (@tensorflow ${(du(join(nm, '@tensorflow')) / 1e6).toFixed(0)} MB)`,
    );
  });
});
