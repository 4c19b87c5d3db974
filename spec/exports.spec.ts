/**
 * No dead exports: every function, class or constant a source file of contract/, runtime/, models/,
 * exporters/ or sdk/ exports is used by another file of the repository (source, spec, bench,
 * example, script), or re-exported wholesale (`export * from`) by a module that is. An export
 * nobody imports is either dead code or a name that should be local; `noUnusedLocals` catches the
 * local ones. Types and interfaces are exempt (they document the API's shapes), and so is the base
 * class of an exported class (the declaration files name it).
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/spec/exports.spec.js → repository root
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHECKED = ['contract', 'runtime', 'models', 'exporters', 'sdk'];
const ALL = [...CHECKED, 'spec', 'bench', 'examples', 'experiments', 'scripts'];
const GENERATED = /^exporters\/onnx\/proto\//;

function sources(): Map<string, string> {
  const out = new Map<string, string>();
  for (const d of ALL) {
    for (const f of readdirSync(join(ROOT, d), { recursive: true, encoding: 'utf8' })) {
      const rel = `${d}/${f}`;
      if (/\.(ts|mjs)$/.test(f) && !f.endsWith('.d.ts') && !GENERATED.test(rel)) out.set(rel, readFileSync(join(ROOT, d, f), 'utf8'));
    }
  }
  return out;
}

/** Exported values (not types) of a module's source: `export function|const|let|class NAME`. */
export function exportedValues(src: string): string[] {
  return [...src.matchAll(/^export (?:declare )?(?:async )?(?:abstract )?(?:function\*?|const|let|class) (\w+)/gm)].map((m) => m[1]!);
}

describe('exports: nothing is exported that no other file uses', () => {
  const files = sources();
  // modules re-exported wholesale are public through their re-exporter
  const starred = new Set<string>();
  for (const [f, src] of files) {
    for (const m of src.matchAll(/export \* (?:as \w+ )?from '([^']+)'/g))
      starred.add(normalize(join(dirname(f), m[1]!.replace(/\.js$/, '.ts'))));
  }

  it('the scanner finds exported values and not types', () => {
    const src =
      'export function a() {}\nexport const b = 1;\nexport class C {}\nexport abstract class D {}\nexport async function e() {}\nexport type T = 1;\nexport interface I {}\nconst f = 2;';
    expect(exportedValues(src)).to.deep.equal(['a', 'b', 'C', 'D', 'e']);
  });

  for (const [f, src] of files) {
    if (!CHECKED.some((d) => f.startsWith(`${d}/`)) || starred.has(f)) continue;
    const names = exportedValues(src);
    if (names.length === 0) continue;
    it(f, () => {
      const unused = names.filter((n) => {
        // the base class of an exported class must be exported too (declaration emit names it)
        if (new RegExp(`^export (?:abstract )?class \\w+(?:<[^>]*>)? extends ${n}\\b`, 'm').test(src)) return false;
        const word = new RegExp(`\\b${n}\\b`);
        for (const [g, other] of files) if (g !== f && word.test(other)) return false;
        return true;
      });
      expect(unused, `${relative(ROOT, join(ROOT, f))} exports names no other file uses: make them local or remove them`).to.deep.equal([]);
    });
  }
});
