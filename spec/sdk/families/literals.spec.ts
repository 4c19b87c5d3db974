/**
 * Family ids are named in one place: a static scan of the sources of contract/, runtime/, models/,
 * exporters/, sdk/ and bench/ (comments ignored) finds no string literal that is exactly a family id
 * ('gmmqf', "dqn", `mixture-actor`, …) outside contract/famil* (the contract, which defines them)
 * and sdk/families/ (the registry). Everything else uses FAMILY.* or a registry lookup.
 *
 * The allowlist holds the few literals that are not family ids, each with its reason; an entry that
 * no longer matches anything fails too, so the list cannot go stale.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODEL_FAMILIES } from '../../../contract/families.js';

// dist/spec/sdk/families/literals.spec.js → repository root
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const SCANNED = ['contract', 'runtime', 'models', 'exporters', 'sdk', 'bench'];

/** Where family ids may be written out: the contract and the registry. */
function mayNameFamilies(file: string): boolean {
  return /^contract\/famil/.test(file) || file.startsWith('sdk/families/');
}

/** Literals that are not family ids (matched against the source line). */
const ALLOWED: { line: RegExp; file?: RegExp; reason: string }[] = [
  {
    file: /^sdk\/algorithms\/(gmmqf|dqn)-spec\.ts$/,
    line: /^\s*(export const \w+ = defineSpec\()?'(gmmqf|dqn)',/,
    reason: 'the algorithm name of a config spec (`gmmrl train gmmqf|dqn`, messages "gmmqf config: …"), which is not the family id',
  },
  {
    file: /^sdk\/cli\/train-q\.ts$/,
    line: /^\s*name: '(gmmqf|dqn)',/,
    reason: 'the algorithm name of a `gmmrl train` entry, which is not the family id',
  },
  {
    line: /'double-dqn' : 'dqn'/,
    reason: "the training algorithm's name of a DQN run (training.algorithm, the `gmmrl train dqn` summary), which is not the family id",
  },
];

/** Block and line comments blanked out, newlines kept (so line numbers stay right). */
function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

const LITERAL = new RegExp(`(['"\`])(${MODEL_FAMILIES.map((f) => f.replace(/-/g, '\\-')).join('|')})\\1`, 'g');

/** Every family-id literal of `src`: line number, the literal and its line. */
export function familyLiterals(src: string): { line: number; literal: string; text: string }[] {
  const out: { line: number; literal: string; text: string }[] = [];
  stripComments(src)
    .split('\n')
    .forEach((text, i) => {
      for (const m of text.matchAll(LITERAL)) out.push({ line: i + 1, literal: m[0], text: text.trim() });
    });
  return out;
}

function sources(): string[] {
  return SCANNED.flatMap((d) =>
    readdirSync(join(ROOT, d), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
      .map((f) => `${d}/${f.split('\\').join('/')}`),
  );
}

describe('family ids are named only in contract/famil* and sdk/families/ (static scan)', () => {
  it('the scanner finds every quoting of a family id and ignores comments, prefixes and other names', () => {
    const sample = [
      "const a = 'gmmqf';",
      'const b = "mixture-actor", c = `dqn`;',
      "type T = { family: 'gamid-actor' };",
      "// 'gmmqf' in a line comment",
      "/* 'dqn' in a block",
      "   comment */ const d = 'gmmqf/normalize/sub', e = 'sgmmqf', f = `${'x'}dqn`, g = 'double-dqn';",
      "const url = 'http://x'; const h = 'dqn';",
    ].join('\n');
    expect(familyLiterals(sample).map((x) => [x.line, x.literal])).to.deep.equal([
      [1, "'gmmqf'"],
      [2, '"mixture-actor"'],
      [2, '`dqn`'],
      [3, "'gamid-actor'"],
      [7, "'dqn'"],
    ]);
  });

  const files = sources();
  it('scans the sources of every layer', () => {
    for (const d of SCANNED)
      expect(
        files.some((f) => f.startsWith(`${d}/`)),
        d,
      ).to.equal(true);
    expect(files).to.include.members(['contract/families.ts', 'sdk/families/index.ts', 'exporters/onnx/gmmqf.ts', 'bench/models.ts']);
  });

  const used = new Set<number>();
  for (const f of files) {
    if (mayNameFamilies(f)) continue;
    it(f, () => {
      const bad = familyLiterals(readFileSync(join(ROOT, f), 'utf8')).filter((x) => {
        const i = ALLOWED.findIndex((a) => a.line.test(x.text) && (a.file === undefined || a.file.test(f)));
        if (i >= 0) used.add(i);
        return i < 0;
      });
      expect(
        bad.map((x) => `${f}:${x.line} ${x.literal}: ${x.text}`),
        'use FAMILY.* from contract/families.ts or the registry (sdk/families/) instead of the string',
      ).to.deep.equal([]);
    });
  }

  it('every allowlist entry still matches a source line (no stale entries)', () => {
    expect(ALLOWED.filter((_, i) => !used.has(i)).map((a) => a.reason)).to.deep.equal([]);
  });
});
