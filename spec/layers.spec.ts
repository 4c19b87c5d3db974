/**
 * The dependency rule of every layer (ARCHITECTURE.md), checked by a static scan of the TypeScript
 * sources' import/export-from statements, dynamic import() and require() calls:
 *
 *   contract/   errors, the ONNX metadata contract, rng, untrusted-file reads: nothing of ours outside contract/, no package
 *               (node:fs only in files.ts, which the web entry never reaches)
 *   runtime/    contract/ and runtime/; packages: only onnxruntime-*; node: built-ins only in index.node.ts
 *   models/     contract/ and models/; never sdk/, exporters/ or runtime/
 *   exporters/  contract/, models/ and exporters/; never sdk/, runtime/ or TensorFlow.js
 *   sdk/        anything of ours (it is the top)
 *   examples/   only the package's public entries (gmmrl, gmmrl/envs, gmmrl/runtime[/node|/web]),
 *               node: built-ins, the npm packages the example lists (EXAMPLE_PACKAGES) and its own folder
 *   bench/      the public entries, node: built-ins, the packages it measures (BENCH_PACKAGES) and bench/;
 *               never examples/ (it runs the examples' compiled scripts as processes instead)
 */
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/spec/layers.spec.js → repository root
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const SPECIFIER =
  /(?:^|[;\s}])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

export function importsOf(src: string): string[] {
  const out: string[] = [];
  for (const m of stripComments(src).matchAll(SPECIFIER)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

interface LayerRule {
  /** Top-level folders of ours this layer may import (itself included). */
  ours: readonly string[];
  /** May this bare package specifier be imported (by file `f`, relative to the layer)? */
  bare: (spec: string, f: string) => boolean;
}

const NODE_RUNTIME_BUILTINS = /^node:(crypto|fs|fs\/promises|module|path|url)$/;
const ORT = new Set(['onnxruntime-node', 'onnxruntime-web', 'onnxruntime-common']);

/** The runtime's shared core: everything both entries reach besides the ONNX reader and pruner. */
const RUNTIME_CORE = [
  'runtime/digest.ts',
  'runtime/graph-checks.ts',
  'runtime/noise.ts',
  'runtime/observations.ts',
  'runtime/ort.ts',
  'runtime/policy.ts',
  'runtime/providers.ts',
  'runtime/public.ts',
  'runtime/types.ts',
];

/** The package's public entries (package.json exports), the only gmmrl names an example may import. */
const PUBLIC_ENTRIES = ['gmmrl', 'gmmrl/envs', 'gmmrl/runtime', 'gmmrl/runtime/node', 'gmmrl/runtime/web'];

/** The npm packages each example imports directly (each must be a dependency in package.json). */
const EXAMPLE_PACKAGES: Record<string, readonly string[]> = {
  browser: ['onnxruntime-web'],
  'robot-loop': [],
  library: [],
};

const RULES: Record<string, LayerRule> = {
  // files.ts reads untrusted paths for the node runtime entry and the checkpoint loader; the web entry never reaches it (tested below)
  contract: { ours: ['contract'], bare: (s, f) => f === 'files.ts' && (s === 'node:fs' || s === 'node:fs/promises') },
  runtime: {
    ours: ['runtime', 'contract'],
    bare: (s, f) => ORT.has(s) || (f === 'index.node.ts' && NODE_RUNTIME_BUILTINS.test(s)),
  },
  models: { ours: ['models', 'contract'], bare: (s) => s.startsWith('node:') || s === '@tensorflow/tfjs-core' },
  exporters: { ours: ['exporters', 'models', 'contract'], bare: (s) => s.startsWith('node:') || s.startsWith('protobufjs') },
};

function sourcesOf(layer: string): string[] {
  return readdirSync(join(ROOT, layer), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
}

/** The top-level folder of ours that `spec`, imported from `file`, points into. */
function targetLayer(file: string, spec: string): string {
  const rel = relative(ROOT, resolve(dirname(file), spec));
  expect(rel.startsWith('..'), `${relative(ROOT, file)} imports ${spec}, outside the repository`).to.equal(false);
  return rel.split(sep)[0]!;
}

describe('layers: the dependency rule of every layer (static scan of the sources)', () => {
  it('the scanner recognises every import form', () => {
    const sample = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "export * from '@tensorflow/tfjs-core';",
      "import '../side-effect.js';",
      "export { c } from 'protobufjs/minimal.js';",
      "const m = await import('../../sdk/x.js');",
      "const r = require('long');",
      "import * as ort from 'onnxruntime-node'; // import x from 'not-me'",
      "/* import y from 'nor-me' */",
    ].join('\n');
    expect(importsOf(sample)).to.deep.equal([
      './a.js',
      '../b.js',
      '@tensorflow/tfjs-core',
      '../side-effect.js',
      'protobufjs/minimal.js',
      '../../sdk/x.js',
      'long',
      'onnxruntime-node',
    ]);
  });

  for (const [layer, rule] of Object.entries(RULES)) {
    describe(`${layer}/ imports only ${rule.ours.join(', ')}`, () => {
      const files = sourcesOf(layer);
      it('has sources', () => expect(files.length).to.be.greaterThan(0));
      for (const f of files) {
        it(`${layer}/${f}`, () => {
          const path = join(ROOT, layer, f);
          for (const spec of importsOf(readFileSync(path, 'utf8'))) {
            if (spec.startsWith('.')) {
              const target = targetLayer(path, spec);
              expect(
                rule.ours.includes(target),
                `${layer}/${f} imports ${spec} (${target}/); ${layer}/ may import only ${rule.ours.join(', ')}`,
              ).to.equal(true);
            } else {
              expect(rule.bare(spec, f), `${layer}/${f} imports the package ${spec}, which ${layer}/ may not`).to.equal(true);
            }
          }
        });
      }
    });
  }

  /** Every module `entry` (relative to ROOT) reaches through relative imports, and every bare specifier on the way. */
  function closure(entry: string): { files: Set<string>; bare: Set<string> } {
    const files = new Set<string>();
    const bare = new Set<string>();
    const visit = (f: string): void => {
      if (files.has(f)) return;
      files.add(f);
      for (const spec of importsOf(readFileSync(join(ROOT, f), 'utf8'))) {
        if (!spec.startsWith('.')) {
          bare.add(spec);
          continue;
        }
        visit(relative(ROOT, resolve(dirname(join(ROOT, f)), spec)).replace(/\.js$/, '.ts'));
      }
    };
    visit(entry);
    return { files, bare };
  }

  it('the web runtime entry reaches no Node-only module: not index.node.ts, onnxruntime-node or any node: built-in', () => {
    const { files, bare } = closure('runtime/index.web.ts');
    expect([...files].sort()).to.include.members([
      'contract/errors.ts',
      'contract/metadata.ts',
      'contract/rng.ts',
      'runtime/onnx-reader.ts',
      ...RUNTIME_CORE,
    ]);
    expect(files.has('runtime/index.node.ts')).to.equal(false);
    expect([...bare].sort()).to.deep.equal(['onnxruntime-web']);
  });

  it('the node runtime entry reaches onnxruntime-node and node: built-ins only; the shared core (policy.ts and its parts, public.ts, contract/) no package at all', () => {
    const { files, bare } = closure('runtime/index.node.ts');
    expect(files.has('runtime/index.web.ts')).to.equal(false);
    expect([...files]).to.include.members(RUNTIME_CORE);
    for (const b of bare) expect(b === 'onnxruntime-node' || NODE_RUNTIME_BUILTINS.test(b), b).to.equal(true);
    for (const core of [...RUNTIME_CORE, 'contract/rng.ts', 'contract/metadata.ts', 'contract/errors.ts'])
      expect([...closure(core).bare], core).to.deep.equal([]);
  });

  it('every runtime file is an entry (index.node.ts, index.web.ts) or part of the shared core', () => {
    expect(
      sourcesOf('runtime')
        .map((f) => `runtime/${f}`)
        .sort(),
    ).to.deep.equal(
      ['runtime/index.node.ts', 'runtime/index.web.ts', 'runtime/onnx-prune.ts', 'runtime/onnx-reader.ts', ...RUNTIME_CORE].sort(),
    );
  });
});

/** Why `spec`, imported by `file` of examples/`example`/, breaks the examples rule; null when it does not. */
function exampleImportProblem(example: string, file: string, spec: string): string | null {
  const where = `examples/${example}/${relative(join(ROOT, 'examples', example), file)}`;
  const packages = EXAMPLE_PACKAGES[example] ?? [];
  if (spec.startsWith('.')) {
    const rel = relative(join(ROOT, 'examples', example), resolve(dirname(file), spec));
    return rel.startsWith('..')
      ? `${where} imports ${spec}, outside examples/${example}/; import the package's public entries (${PUBLIC_ENTRIES.join(', ')}) instead`
      : null;
  }
  if (PUBLIC_ENTRIES.includes(spec) || spec.startsWith('node:') || packages.includes(spec)) return null;
  return `${where} imports ${spec}; an example may import ${PUBLIC_ENTRIES.join(', ')}, node: built-ins and the packages EXAMPLE_PACKAGES lists for it (${packages.join(', ') || 'none'})`;
}

/** The packages bench/ measures or drives (each a dependency of gmmrl): TensorFlow.js, ONNX Runtime, the browser (dependencies or devDependencies of gmmrl). */
const BENCH_PACKAGES = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', 'onnxruntime-node', 'onnxruntime-web', 'playwright-core'];

/** Why `spec`, imported by the bench file `file`, breaks bench/'s rule; null when it is allowed. */
function benchImportProblem(file: string, spec: string): string | null {
  const where = relative(ROOT, file);
  if (spec.startsWith('.')) {
    const rel = relative(join(ROOT, 'bench'), resolve(dirname(file), spec));
    return rel.startsWith('..')
      ? `${where} imports ${spec}, outside bench/; use the package's public entries (${PUBLIC_ENTRIES.join(', ')}), or run an example as a process`
      : null;
  }
  if (PUBLIC_ENTRIES.includes(spec) || spec.startsWith('node:') || BENCH_PACKAGES.includes(spec)) return null;
  return `${where} imports the package ${spec}; bench/ may import ${PUBLIC_ENTRIES.join(', ')}, node: built-ins and ${BENCH_PACKAGES.join(', ')}`;
}

describe('layers: examples/ use the package as a user would, and bench/ does not import them', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const examples = readdirSync(join(ROOT, 'examples'))
    .filter((d) => statSync(join(ROOT, 'examples', d)).isDirectory())
    .sort();

  it('EXAMPLE_PACKAGES names every example, and each package it lists is a dependency of gmmrl or a peer of @gmmrl/runtime', () => {
    expect(examples).to.deep.equal(Object.keys(EXAMPLE_PACKAGES).sort());
    const runtimePkg = JSON.parse(readFileSync(join(ROOT, 'runtime', 'package.json'), 'utf8'));
    for (const [example, packages] of Object.entries(EXAMPLE_PACKAGES)) {
      for (const p of packages) {
        const declared = pkg.dependencies?.[p] ?? runtimePkg.peerDependencies?.[p];
        expect(declared, `examples/${example} lists ${p}`).to.be.a('string');
      }
    }
  });

  for (const example of examples) {
    const dir = join(ROOT, 'examples', example);
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
    const packages = EXAMPLE_PACKAGES[example] ?? [];
    for (const f of files) {
      it(`examples/${example}/${f} imports only ${PUBLIC_ENTRIES.join(', ')}, node: built-ins, ${packages.length ? packages.join(', ') + ' and ' : ''}its own folder`, () => {
        const path = join(dir, f);
        for (const spec of importsOf(readFileSync(path, 'utf8'))) expect(exampleImportProblem(example, path, spec)).to.equal(null);
      });
    }
  }

  it('the rule refuses internal imports, other folders and unlisted packages', () => {
    const file = join(ROOT, 'examples', 'robot-loop', 'controller.ts');
    expect(exampleImportProblem('robot-loop', file, '../../runtime/index.node.js')).to.match(/outside examples\/robot-loop\//);
    expect(exampleImportProblem('robot-loop', file, '../browser/models.js')).to.match(/outside examples\/robot-loop\//);
    expect(exampleImportProblem('robot-loop', file, 'gmmrl/sdk/cli/args.js')).to.match(/imports gmmrl\/sdk\/cli\/args.js/);
    expect(exampleImportProblem('robot-loop', file, 'onnxruntime-web')).to.match(/imports onnxruntime-web/);
    expect(exampleImportProblem('robot-loop', file, 'fs')).to.match(/imports fs/);
    expect(exampleImportProblem('robot-loop', file, './flags.js')).to.equal(null);
    expect(exampleImportProblem('robot-loop', file, 'gmmrl/runtime/node')).to.equal(null);
    expect(exampleImportProblem('browser', join(ROOT, 'examples', 'browser', 'main.ts'), 'onnxruntime-web')).to.equal(null);
  });

  describe('bench/ uses only the public entries, node: built-ins, the packages it measures and its own folder; never examples/ (it spawns their compiled scripts)', () => {
    for (const f of sourcesOf('bench')) {
      it(`bench/${f}`, () => {
        const path = join(ROOT, 'bench', f);
        for (const spec of importsOf(readFileSync(path, 'utf8'))) expect(benchImportProblem(path, spec)).to.equal(null);
      });
    }
    it('the rule refuses internal imports and examples, and accepts the public entries and the measured packages', () => {
      const file = join(ROOT, 'bench', 'models.ts');
      expect(benchImportProblem(file, '../sdk/cli/args.js')).to.match(/outside bench/);
      expect(benchImportProblem(file, '../examples/robot-loop/controller.js')).to.match(/outside bench/);
      expect(benchImportProblem(file, 'protobufjs')).to.match(/imports the package protobufjs/);
      expect(benchImportProblem(file, './stats.js')).to.equal(null);
      expect(benchImportProblem(file, 'gmmrl/runtime/web')).to.equal(null);
      expect(benchImportProblem(file, '@tensorflow/tfjs-core')).to.equal(null);
    });
  });
});
