/**
 * The dependency rule of every layer (ARCHITECTURE.md), checked by a static scan of the TypeScript
 * sources' import/export-from statements, dynamic import() and require() calls:
 *
 *   contract/   errors, the ONNX metadata contract, rng: imports nothing of ours outside contract/, no package
 *   runtime/    contract/ and runtime/; packages: only onnxruntime-*; node: built-ins only in index.node.ts
 *   models/     contract/ and models/; never sdk/, exporters/ or runtime/
 *   exporters/  contract/, models/ and exporters/; never sdk/, runtime/ or TensorFlow.js
 *   sdk/        anything of ours (it is the top)
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/spec/layers.spec.js → repository root
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const SPECIFIER = /(?:^|[;\s}])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

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

const NODE_RUNTIME_BUILTINS = /^node:(fs|fs\/promises|module|path|url)$/;
const ORT = new Set(['onnxruntime-node', 'onnxruntime-web', 'onnxruntime-common']);

const RULES: Record<string, LayerRule> = {
  contract: { ours: ['contract'], bare: () => false },
  runtime: {
    ours: ['runtime', 'contract'],
    bare: (s, f) => ORT.has(s) || (f === 'index.node.ts' && NODE_RUNTIME_BUILTINS.test(s)),
  },
  models: { ours: ['models', 'contract'], bare: (s) => s.startsWith('node:') || s === '@tensorflow/tfjs' },
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
      "export * from '@tensorflow/tfjs';",
      "import '../side-effect.js';",
      "export { c } from 'protobufjs/minimal.js';",
      "const m = await import('../../sdk/x.js');",
      "const r = require('long');",
      "import * as ort from 'onnxruntime-node'; // import x from 'not-me'",
      "/* import y from 'nor-me' */",
    ].join('\n');
    expect(importsOf(sample)).to.deep.equal([
      './a.js', '../b.js', '@tensorflow/tfjs', '../side-effect.js', 'protobufjs/minimal.js', '../../sdk/x.js', 'long', 'onnxruntime-node',
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
              expect(rule.ours.includes(target), `${layer}/${f} imports ${spec} (${target}/); ${layer}/ may import only ${rule.ours.join(', ')}`).to.equal(true);
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
    expect([...files].sort()).to.include.members(['contract/errors.ts', 'contract/metadata.ts', 'contract/rng.ts', 'runtime/onnx-reader.ts', 'runtime/policy.ts', 'runtime/public.ts']);
    expect(files.has('runtime/index.node.ts')).to.equal(false);
    expect([...bare].sort()).to.deep.equal(['onnxruntime-web']);
  });

  it('the node runtime entry reaches onnxruntime-node and node: built-ins only; the shared core (policy.ts, public.ts, contract/) no package at all', () => {
    const { files, bare } = closure('runtime/index.node.ts');
    expect(files.has('runtime/index.web.ts')).to.equal(false);
    for (const b of bare) expect(b === 'onnxruntime-node' || NODE_RUNTIME_BUILTINS.test(b), b).to.equal(true);
    for (const core of ['runtime/policy.ts', 'runtime/public.ts', 'contract/rng.ts', 'contract/metadata.ts']) expect([...closure(core).bare], core).to.deep.equal([]);
  });
});
