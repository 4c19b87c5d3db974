/**
 * Refactor guard: every trainer, run through the CLI with a fixed seed on a tiny budget, writes
 * byte-identical weights to the hashes recorded in fingerprints.json. A change meant to keep
 * behaviour must keep these; a change meant to alter training regenerates them in its own commit
 * (`node scripts/fingerprint.mjs --json > spec/refactor/fingerprints.json`) and says why.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../sdk/cli.js';

// dist/spec/refactor/ → repository root
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('refactor guard: fixed-seed weights of every trainer', function () {
  this.timeout(120_000);
  const recorded = JSON.parse(readFileSync(join(ROOT, 'spec', 'refactor', 'fingerprints.json'), 'utf8')) as Record<string, string>;

  it('records a hash for every trainer of the fingerprint script', async () => {
    const { FINGERPRINT_RUNS } = (await import(join(ROOT, 'scripts', 'fingerprint.mjs'))) as { FINGERPRINT_RUNS: Record<string, string[]> };
    expect(Object.keys(recorded).sort()).to.deep.equal(Object.keys(FINGERPRINT_RUNS).sort());
  });

  for (const name of Object.keys(recorded)) {
    it(`${name}: weights.safetensors has the recorded SHA-256`, async () => {
      const { fingerprint } = (await import(join(ROOT, 'scripts', 'fingerprint.mjs'))) as {
        fingerprint: (n: string, m: typeof main) => Promise<string>;
      };
      expect(await fingerprint(name, main)).to.equal(recorded[name]);
    });
  }
});
