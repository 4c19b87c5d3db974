// Copies the committed, generated protobuf code (plain JS + .d.ts) next to the compiled output,
// and marks the CLI executable. tsc does not emit files it did not compile.
import { copyFileSync, chmodSync, mkdirSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { copyCompiled } from './compiled-copy.mjs';

const genDir = 'exporters/onnx/proto';
// Usage: node scripts/postbuild.mjs [outDir]   (default dist; e.g. dist-dev for a side build)
const dist = process.argv[2] ?? 'dist';
const outDir = join(dist, genDir);
mkdirSync(outDir, { recursive: true });
if (existsSync(genDir)) {
  for (const f of readdirSync(genDir)) {
    if (f.endsWith('.js') || f.endsWith('.d.ts') || f.endsWith('.cjs')) copyFileSync(join(genDir, f), join(outDir, f));
  }
}
if (existsSync(join(dist, 'sdk/bin.js'))) chmodSync(join(dist, 'sdk/bin.js'), 0o755);

// TensorFlow.js's gradient functions: gmmrl depends on @tensorflow/tfjs-core (not the umbrella
// @tensorflow/tfjs, whose layers, converter, data and webgl packages it does not use), but tfjs-core's
// Node build registers no gradients: the umbrella bundles them from tfjs-core's ES modules, which
// Node cannot load directly (extensionless imports). Bundle that same module here; it registers into
// tfjs-core's global registry (the engine and registries live on globalThis, as with the umbrella).
// sdk/backend.ts imports it.
const gradientsEntry = 'node_modules/@tensorflow/tfjs-core/dist/register_all_gradients.js';
if (!existsSync(gradientsEntry)) throw new Error(`postbuild: ${gradientsEntry} is missing: run npm ci`);
await build({
  entryPoints: [gradientsEntry],
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  outfile: join(dist, 'models/tfjs-gradients.js'),
  legalComments: 'eof',
  logLevel: 'warning',
});

// The runtime-only package (@gmmrl/runtime, the `runtime` workspace) ships the compiled runtime and
// the shared contract it imports. Copy them into runtime/dist so that the workspace link
// (node_modules/@gmmrl/runtime) is a working package in this repository too. Source maps stay out:
// they would point at sources the package does not ship.
const runtimeDist = 'runtime/dist';
rmSync(runtimeDist, { recursive: true, force: true });
for (const layer of ['runtime', 'contract']) {
  const from = join(dist, layer);
  if (!existsSync(from)) continue;
  copyCompiled(from, join(runtimeDist, layer));
}
