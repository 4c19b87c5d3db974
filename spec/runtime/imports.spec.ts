/**
 * Static dependency rule for runtime/: it imports nothing of ours outside runtime/, never
 * TensorFlow.js or protobufjs, and only the ONNX Runtime packages and Node built-ins (the latter only
 * from the Node entry). Scans the TypeScript sources' import/export-from statements, dynamic
 * import() and require() calls.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/spec/runtime/imports.spec.js → repository root
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const RUNTIME = join(ROOT, 'runtime');

const SPECIFIER = /(?:^|[;\s}])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Bare specifiers allowed anywhere in runtime/, and those allowed only in the Node entry. */
const ALLOWED_BARE = new Set(['onnxruntime-node', 'onnxruntime-web', 'onnxruntime-common']);
const NODE_BUILTINS = /^node:(fs|fs\/promises|module|path|url)$/;

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

export function importsOf(src: string): string[] {
  const out: string[] = [];
  for (const m of stripComments(src).matchAll(SPECIFIER)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

describe('runtime/ dependency rule (static scan of the sources)', () => {
  const files = readdirSync(RUNTIME, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));

  it('finds the runtime sources and the scanner recognises every import form', () => {
    expect(files).to.include.members(['errors.ts', 'metadata.ts', 'onnx-reader.ts', 'policy.ts', 'index.node.ts', 'index.web.ts']);
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

  for (const f of readdirSync(RUNTIME, { recursive: true, encoding: 'utf8' }).filter((x) => x.endsWith('.ts'))) {
    it(`runtime/${f}`, () => {
      const src = readFileSync(join(RUNTIME, f), 'utf8');
      for (const spec of importsOf(src)) {
        expect(spec, `${f} imports ${spec}`).to.not.match(/^@tensorflow\//);
        expect(spec, `${f} imports ${spec}`).to.not.match(/^protobufjs/);
        if (spec.startsWith('.')) {
          const target = resolve(dirname(join(RUNTIME, f)), spec);
          const rel = relative(RUNTIME, target);
          expect(rel.startsWith('..') || rel.split(sep)[0] === '..', `${f} imports ${spec}, outside runtime/`).to.equal(false);
        } else if (spec.startsWith('node:')) {
          expect(f, `${f} imports the Node built-in ${spec}; only index.node.ts may`).to.equal('index.node.ts');
          expect(spec).to.match(NODE_BUILTINS);
        } else {
          expect(ALLOWED_BARE.has(spec), `${f} imports the package ${spec}; runtime/ may import only ${[...ALLOWED_BARE].join(', ')}`).to.equal(true);
        }
      }
      // platform entries: the web entry never touches onnxruntime-node and vice versa; the core neither
      if (f === 'index.web.ts') expect(importsOf(src)).to.not.include('onnxruntime-node');
      if (f === 'index.node.ts') expect(importsOf(src)).to.not.include('onnxruntime-web');
      if (!f.startsWith('index.')) expect(importsOf(src).filter((s) => !s.startsWith('.'))).to.deep.equal([]);
    });
  }

  /** Every module `entry` reaches through relative imports (runtime/ file names), and every bare specifier on the way. */
  function closure(entry: string): { files: Set<string>; bare: Set<string> } {
    const files = new Set<string>();
    const bare = new Set<string>();
    const visit = (f: string): void => {
      if (files.has(f)) return;
      files.add(f);
      for (const spec of importsOf(readFileSync(join(RUNTIME, f), 'utf8'))) {
        if (!spec.startsWith('.')) {
          bare.add(spec);
          continue;
        }
        const target = relative(RUNTIME, resolve(dirname(join(RUNTIME, f)), spec)).replace(/\.js$/, '.ts');
        expect(target.startsWith('..'), `${f} imports ${spec}, outside runtime/`).to.equal(false);
        visit(target);
      }
    };
    visit(entry);
    return { files, bare };
  }

  it('the web entry reaches no Node-only module: not index.node.ts, onnxruntime-node or any node: built-in', () => {
    const { files, bare } = closure('index.web.ts');
    expect([...files].sort()).to.include.members(['errors.ts', 'metadata.ts', 'onnx-reader.ts', 'policy.ts', 'public.ts', 'rng.ts']);
    expect(files.has('index.node.ts')).to.equal(false);
    expect([...bare].sort()).to.deep.equal(['onnxruntime-web']);
  });

  it('the node entry reaches onnxruntime-node and node: built-ins only; the shared core (policy.ts, public.ts) no package at all', () => {
    const { files, bare } = closure('index.node.ts');
    expect(files.has('index.web.ts')).to.equal(false);
    for (const b of bare) expect(b === 'onnxruntime-node' || NODE_BUILTINS.test(b), b).to.equal(true);
    for (const core of ['policy.ts', 'public.ts', 'rng.ts']) expect([...closure(core).bare], core).to.deep.equal([]);
  });
});
