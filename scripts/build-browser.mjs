// Builds the browser example's bundle (examples/browser/main.ts → <outDir>/main.js) with esbuild,
// straight from the TypeScript sources, and copies next to it the onnxruntime-web WebAssembly
// files the bundle loads (the page sets ort.env.wasm.wasmPaths to the bundle's own folder: no CDN).
//
//   node scripts/build-browser.mjs [outDir] [--ort=wasm|default]     (default examples/browser/dist, wasm)
//
// The bundle is gmmrl's web runtime (runtime/index.web.ts over onnxruntime-web), the environments
// (sdk/envs) and the page code. The page imports them by their public names, gmmrl/runtime/web (or
// gmmrl/runtime) and gmmrl/envs, which the build aliases to those sources (GMMRL_BROWSER_ENTRIES).
//
// Which onnxruntime-web build (--ort):
//   wasm     (default) `onnxruntime-web/wasm`, the WebAssembly-only build: runtime/index.web.ts's
//            `import 'onnxruntime-web'` is aliased to it. ort-wasm-simd-threaded.{mjs,wasm}, 14 MiB.
//            The page uses only the wasm execution provider, and this build is the smaller and the
//            faster one (bench/browser-latency.ts, Chromium 156: single-observation act p50
//            20–40 µs against 30–65 µs for the default build; half the bytes to download and for
//            the browser to compile — the larger binary also takes longer to reach its optimized tier).
//   default  `onnxruntime-web` as a bundler resolves it (what an application importing
//            gmmrl/runtime gets without configuration): wasm + WebGPU (JSEP build),
//            ort-wasm-simd-threaded.jsep.{mjs,wasm}, 27 MiB; needed for executionProviders ['webgpu'].
//
// The build FAILS when the bundle pulls in TensorFlow.js, onnxruntime-node, protobufjs or a Node
// built-in (checked on esbuild's list of bundled inputs and on the emitted text), so "the browser
// bundle contains no TensorFlow.js and no onnxruntime-node" is enforced at every build, not only in
// the test.
//
// Exports buildBrowserBundle() for the browser test and the browser latency bench, which build into
// a folder of their own.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const BROWSER_ENTRY = join(ROOT, 'examples/browser/main.ts');
export const RUNTIME_WEB_ENTRY = join(ROOT, 'runtime/index.web.ts');
export const DEFAULT_BROWSER_OUT_DIR = join(ROOT, 'examples/browser/dist');

/** Inputs the browser bundle must never contain (package paths / specifiers). */
const FORBIDDEN_INPUTS = [
  { re: /(^|[/\\])node_modules[/\\]@tensorflow[/\\]/, what: 'TensorFlow.js (@tensorflow/*)' },
  { re: /(^|[/\\])node_modules[/\\]onnxruntime-node[/\\]/, what: 'onnxruntime-node' },
  { re: /(^|[/\\])node_modules[/\\]protobufjs[/\\]/, what: 'protobufjs' },
  { re: /^node:|^(fs|path|os|url|module|child_process|worker_threads|crypto)$/, what: 'a Node built-in module' },
];
/** Strings the emitted JavaScript must never contain. */
export const FORBIDDEN_STRINGS = ['@tensorflow', 'onnxruntime-node'];

export const ORT_BUILDS = ['wasm', 'default'];

/**
 * The package's public entries browser code may import, mapped to their sources (tsconfig.json maps
 * gmmrl/runtime to the node entry for type-checking; the bundle takes the web entry). Other gmmrl
 * entries are not aliased: `gmmrl` and `gmmrl/runtime/node` resolve to Node code, which the
 * forbidden-input checks below refuse.
 */
export const GMMRL_BROWSER_ENTRIES = {
  'gmmrl/runtime': RUNTIME_WEB_ENTRY,
  'gmmrl/runtime/web': RUNTIME_WEB_ENTRY,
  'gmmrl/envs': join(ROOT, 'sdk/envs/index.ts'),
};

/** esbuild options selecting the onnxruntime-web build (see the header). */
function ortOptions(ort) {
  if (!ORT_BUILDS.includes(ort))
    throw new Error(`build-browser: ort build ${JSON.stringify(ort)}; expected one of ${ORT_BUILDS.join(', ')} (e.g. --ort=wasm).`);
  return {
    // the build that loads its Emscripten glue (.mjs) from wasmPaths instead of embedding a copy
    // that would fetch the .wasm relative to its own URL
    conditions: ['onnxruntime-web-use-extern-wasm'],
    alias: { ...GMMRL_BROWSER_ENTRIES, ...(ort === 'wasm' ? { 'onnxruntime-web': 'onnxruntime-web/wasm' } : {}) },
  };
}

/**
 * Bundles the page into `outDir` (main.js, main.js.map, the onnxruntime-web .mjs/.wasm files it
 * loads, meta.json). Returns the sizes and the list of bundled source files.
 * @param {{ outDir?: string, minify?: boolean, ort?: 'wasm' | 'default' }} [opts]
 */
export async function buildBrowserBundle(opts = {}) {
  const outDir = resolve(opts.outDir ?? DEFAULT_BROWSER_OUT_DIR);
  const ort = opts.ort ?? 'wasm';
  const ortOpts = ortOptions(ort);
  mkdirSync(outDir, { recursive: true });
  const result = await esbuild.build({
    entryPoints: [BROWSER_ENTRY],
    outfile: join(outDir, 'main.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: opts.minify ?? true,
    sourcemap: true,
    metafile: true,
    logLevel: 'silent',
    legalComments: 'none',
    // keep class and function names through minification: the page's error banner prints err.name,
    // which gmmrl's errors set from their class (contract/errors.ts: new.target.name), so a corrupt
    // file reads "ModelFormatError: …", not a minified "I: …"
    keepNames: true,
    define: { __GMMRL_ORT_BUILD__: JSON.stringify(ort) },
    ...ortOpts,
  });
  const inputs = Object.keys(result.metafile.inputs);
  for (const input of inputs) {
    for (const f of FORBIDDEN_INPUTS) {
      if (f.re.test(input)) {
        throw new Error(
          `build-browser: the browser bundle pulls in ${f.what} through ${input}. Browser code must import only gmmrl/runtime (or gmmrl/runtime/web), gmmrl/envs and onnxruntime-web; find the importer with: npx esbuild ${relative(ROOT, BROWSER_ENTRY)} --bundle --analyze=verbose`,
        );
      }
    }
  }
  const jsPath = join(outDir, 'main.js');
  const js = readFileSync(jsPath, 'utf8');
  for (const s of FORBIDDEN_STRINGS) {
    const at = js.indexOf(s);
    if (at >= 0)
      throw new Error(
        `build-browser: ${jsPath} contains the string ${JSON.stringify(s)} at offset ${at} (…${js.slice(Math.max(0, at - 80), at + 80)}…).`,
      );
  }
  // The files onnxruntime-web loads at run time from ort.env.wasm.wasmPaths (the page sets it to
  // this folder): the Emscripten glue (.mjs) the JS names, and the .wasm binary the glue names.
  const ortInput = inputs.find((i) => /node_modules[/\\]onnxruntime-web[/\\]dist[/\\]/.test(i));
  if (!ortInput)
    throw new Error(
      'build-browser: the bundle contains no onnxruntime-web build (node_modules/onnxruntime-web/dist/*); is onnxruntime-web installed?',
    );
  const ortDist = dirname(resolve(ROOT, ortInput));
  const wasm = [];
  const pending = [...new Set(js.match(/ort-wasm[a-z0-9.-]*?\.(?:mjs|wasm)/g) ?? [])];
  if (pending.length === 0)
    throw new Error(
      `build-browser: ${jsPath} names no ort-wasm*.mjs/.wasm file; the onnxruntime-web build it bundles is not the expected one.`,
    );
  const seen = new Set();
  while (pending.length > 0) {
    const name = pending.shift();
    if (seen.has(name)) continue;
    seen.add(name);
    const src = join(ortDist, name);
    copyFileSync(src, join(outDir, name));
    wasm.push({ file: name, bytes: statSync(src).size });
    if (name.endsWith('.mjs')) pending.push(...(readFileSync(src, 'utf8').match(/ort-wasm[a-z0-9.-]*?\.wasm/g) ?? []));
  }
  if (!wasm.some((w) => w.file.endsWith('.wasm')))
    throw new Error(`build-browser: found no .wasm binary for ${wasm.map((w) => w.file).join(', ')}.`);
  const ortInputs = inputs.filter((i) => i.includes('onnxruntime-web')).map((i) => i.replace(/^.*node_modules[/\\]/, ''));
  const sources = inputs.filter((i) => !i.includes('node_modules')).sort();
  const meta = {
    entry: relative(ROOT, BROWSER_ENTRY),
    ortBuild: ort,
    js: { file: 'main.js', bytes: Buffer.byteLength(js), gzipBytes: gzipSync(js).length },
    wasm,
    onnxruntimeWeb: ortInputs,
    sources,
  };
  meta.runtime = await runtimeBundleSizes();
  writeFileSync(join(outDir, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
  return { outDir, ...meta };
}

/**
 * The size of gmmrl's web runtime alone (runtime/index.web.ts, minified ESM, as a bundler would
 * include it): without onnxruntime-web (external: gmmrl's own code), and with each onnxruntime-web
 * build's JavaScript bundled in (the .mjs/.wasm files come on top). Checked for the forbidden
 * strings like the page bundle.
 */
export async function runtimeBundleSizes() {
  const sizes = {};
  for (const [key, extra] of [
    ['gmmrlOnly', { external: ['onnxruntime-web'], ...ortOptions('default') }],
    ['withOrtWasm', ortOptions('wasm')],
    ['withOrtDefault', ortOptions('default')],
  ]) {
    const r = await esbuild.build({
      entryPoints: [RUNTIME_WEB_ENTRY],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: ['es2022'],
      minify: true,
      write: false,
      logLevel: 'silent',
      legalComments: 'none',
      outfile: 'runtime.js',
      ...extra,
    });
    const text = r.outputFiles.find((f) => f.path.endsWith('.js')).text;
    for (const s of FORBIDDEN_STRINGS) {
      if (text.includes(s)) throw new Error(`build-browser: the web runtime bundle (${key}) contains ${JSON.stringify(s)}.`);
    }
    sizes[key] = { bytes: Buffer.byteLength(text), gzipBytes: gzipSync(text).length };
  }
  return sizes;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const ortArg = args.find((a) => a.startsWith('--ort='));
  const dirArg = args.find((a) => !a.startsWith('--'));
  const r = await buildBrowserBundle({
    outDir: dirArg ? resolve(dirArg) : DEFAULT_BROWSER_OUT_DIR,
    ort: ortArg ? ortArg.slice(6) : 'wasm',
  });
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`browser bundle (onnxruntime-web build: ${r.ortBuild}) → ${relative(process.cwd(), r.outDir) || '.'}`);
  console.log(`  main.js ${r.js.bytes} bytes (${kib(r.js.bytes)}): ${r.sources.length} gmmrl sources + ${r.onnxruntimeWeb.join(', ')}`);
  for (const [k, v] of Object.entries(r.runtime)) console.log(`  web runtime alone (${k}): ${v.bytes} bytes, ${v.gzipBytes} gzipped`);
  for (const w of r.wasm) console.log(`  ${w.file} ${w.bytes} bytes (${(w.bytes / 2 ** 20).toFixed(1)} MiB)`);
}
