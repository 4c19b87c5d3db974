// Packs the two published packages from the built tree (run `npm run build` first):
//   @gmmrl/runtime  runtime/package.json + the compiled runtime and shared contract (runtime/dist,
//                   written by scripts/postbuild.mjs) + runtime/README.md + LICENSE
//   gmmrl           the SDK: package.json (without the repository-only fields) + dist/{sdk,models,
//                   exporters} + the documents and examples README.md links to. Its dist/runtime and
//                   dist/contract are one-line re-exports of @gmmrl/runtime, so an app that has both
//                   packages loads the runtime and the error classes once (one `instanceof` hierarchy).
// Source maps are not shipped (they would point at sources the packages do not contain).
//
// Usage: node scripts/pack.mjs [--out DIR] [--json]     (default DIR: dist-packages)
// Prints the two tarball paths (or, with --json, {runtime, sdk} with path, bytes and file count).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { copyCompiled } from './compiled-copy.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Every document (and image) README.md links to, plus the examples' sources they describe. */
export const SDK_DOCS = [
  'README.md',
  'LICENSE',
  'ARCHITECTURE.md',
  'REFERENCES.md',
  'runtime/README.md',
  'exporters/onnx/proto/README.md',
  'examples/browser/README.md',
  'examples/browser/index.html',
  'examples/browser/main.ts',
  'examples/browser/models.ts',
  'examples/browser/serve.ts',
  'examples/library',
  'examples/robot-loop',
  'bench/results/robot-loop.md',
  'experiments/results/ksweep-acrobot.svg',
  'experiments/results/sgmmqf-cartpole.svg',
  'experiments/results/sparsity.svg',
];

function fail(message) {
  process.stderr.write(`pack: ${message}\n`);
  process.exit(2);
}

function readJson(path) {
  return JSON.parse(readFileSync(join(ROOT, path), 'utf8'));
}

/** The SDK's copy of a runtime or contract module: a re-export of the one in @gmmrl/runtime. */
function writeShims(from, to, specifierOf) {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (entry.isDirectory()) fail(`unexpected folder ${join(from, entry.name)}: shims cover flat folders only`);
    const m = /^(.*)\.(js|d\.ts)$/.exec(entry.name);
    if (!m) continue;
    const base = m[1];
    const spec = specifierOf(base);
    const body = `// Re-export: this module lives in @gmmrl/runtime (one copy per app).\nexport * from '${spec}';\n`;
    writeFileSync(join(to, entry.name), body);
  }
}

function npmPack(dir, out) {
  const raw = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', out], {
    cwd: dir,
    encoding: 'utf8',
    env: cleanNpmEnv(),
  });
  const [info] = JSON.parse(raw);
  return { path: join(out, info.filename), bytes: info.size, unpackedBytes: info.unpackedSize, files: info.entryCount };
}

/** The environment without the npm_* variables of an enclosing `npm run`/`npm test`. */
function cleanNpmEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
}

export function pack(outDir) {
  const out = resolve(outDir);
  for (const need of ['dist/sdk/index.js', 'runtime/dist/runtime/index.node.js', 'runtime/dist/contract/errors.js']) {
    if (!existsSync(join(ROOT, need))) fail(`${need} is missing: run \`npm run build\` first`);
  }
  rmSync(out, { recursive: true, force: true });
  const stage = join(out, 'stage');

  // @gmmrl/runtime
  const rt = join(stage, 'runtime');
  mkdirSync(rt, { recursive: true });
  const rtPkg = readJson('runtime/package.json');
  writeFileSync(join(rt, 'package.json'), JSON.stringify(rtPkg, null, 2) + '\n');
  cpSync(join(ROOT, 'runtime/dist'), join(rt, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'runtime/README.md'), join(rt, 'README.md'));
  cpSync(join(ROOT, 'LICENSE'), join(rt, 'LICENSE'));

  // gmmrl (the SDK)
  const sdk = join(stage, 'gmmrl');
  mkdirSync(sdk, { recursive: true });
  const pkg = readJson('package.json');
  if (pkg.dependencies?.[rtPkg.name] !== rtPkg.version) {
    fail(`package.json dependencies["${rtPkg.name}"] must be exactly runtime/package.json's version ${rtPkg.version}`);
  }
  for (const repoOnly of ['private', 'workspaces', 'devDependencies', 'scripts', 'allowScripts']) delete pkg[repoOnly];
  pkg.files = ['dist/', ...SDK_DOCS.filter((f) => f !== 'LICENSE' && f !== 'README.md')];
  writeFileSync(join(sdk, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
  for (const layer of ['sdk', 'models', 'exporters']) copyCompiled(join(ROOT, 'dist', layer), join(sdk, 'dist', layer));
  writeShims(join(ROOT, 'dist/contract'), join(sdk, 'dist/contract'), (base) => `${rtPkg.name}/contract/${base}.js`);
  const entry = { 'index.node': `${rtPkg.name}/node`, 'index.web': `${rtPkg.name}/web` };
  writeShims(join(ROOT, 'dist/runtime'), join(sdk, 'dist/runtime'), (base) => entry[base] ?? `${rtPkg.name}/internal/${base}.js`);
  for (const doc of SDK_DOCS) cpSync(join(ROOT, doc), join(sdk, doc), { recursive: true });

  return { runtime: npmPack(rt, out), sdk: npmPack(sdk, out), stage: relative(ROOT, stage) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--out');
  const outDir = at >= 0 ? args[at + 1] : join(ROOT, 'dist-packages');
  if (at >= 0 && !outDir) fail('--out needs a folder, e.g. --out /tmp/packages');
  const result = pack(outDir);
  if (args.includes('--json')) process.stdout.write(JSON.stringify(result) + '\n');
  else {
    for (const [name, r] of [
      ['@gmmrl/runtime', result.runtime],
      ['gmmrl', result.sdk],
    ]) {
      process.stdout.write(`${name}: ${r.path} (${(r.bytes / 1024).toFixed(0)} KiB packed, ${r.files} files)\n`);
    }
  }
}
