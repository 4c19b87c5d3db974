/**
 * Checkpoint corruption fuzz (seeded, a few hundred cases across the families; the engine and what
 * it corrupts are in ./checkpoint-fuzz.ts, the bigger loop is scripts/checkpoint-fuzz.mjs): every
 * case loads to the base's model, loads a different valid model only through a parameter the config
 * alone holds in a config without its config_sha256 (written before gmmrl recorded it), or throws ModelFormatError / FileReadError / SpdError naming the checkpoint — never
 * another error type, and (the loop runs synchronously) never a hang.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../sdk/util/rng.js';
import { makeBases, randomMutation, runCase, type Base } from './checkpoint-fuzz.js';

describe('checkpoint corruption fuzz (all families, seeded)', function () {
  this.timeout(300000);
  let root: string;
  let bases: Base[];
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'gmmrl-fuzz-'));
    bases = makeBases(root);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('300 corruptions: each is identical, a valid config parameter, or a typed error naming the file', () => {
    const rng = new Rng(7);
    const counts = { identical: 0, 'different-parameter': 0, refused: 0, untyped: 0 };
    const untyped: string[] = [];
    for (let c = 0; c < 300; c++) {
      const base = bases[c % bases.length]!;
      const m = randomMutation(rng, base);
      const o = runCase(base, m, join(root, 'case'));
      counts[o.kind]++;
      if (o.kind === 'untyped') untyped.push(`${base.name}: ${m.label}: ${o.error}`);
    }
    expect(untyped, untyped.join('\n')).to.deep.equal([]);
    // the loop exercised both outcomes: refusals of every kind and harmless edits
    expect(counts.refused).to.be.greaterThan(150);
    expect(counts.identical).to.be.greaterThan(10);
  });
});
