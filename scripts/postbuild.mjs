// Copies the committed, generated protobuf code (plain JS + .d.ts) next to the compiled output,
// and marks the CLI executable. tsc does not emit files it did not compile.
import { copyFileSync, chmodSync, mkdirSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

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
