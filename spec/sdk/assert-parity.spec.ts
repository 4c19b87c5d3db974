/**
 * assertParity (sdk/assert-parity.ts): verify's check as one assertion for a user's CI. It resolves
 * with the report for a file exported from the checkpoint, rejects with a ParityError carrying
 * verify's summary for a file that computes something else (a weight of the graph changed and the
 * file re-sealed, as an exporter bug would leave it), and refuses bad options naming them.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ParityError, ValueError } from '../../contract/errors.js';
import { main } from '../../sdk/cli.js';
import { assertParity } from '../../sdk/index.js';
import { expectRejects } from '../helpers.js';
import { edit } from '../runtime/model-edit.js';

describe('assertParity: the parity check as one assertion', function () {
  this.timeout(240_000);
  let tmp: string;
  let run: string;
  let model: string;
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'gmmrl-assert-parity-'));
    run = join(tmp, 'run');
    model = join(tmp, 'policy.onnx');
    const quiet = () => {};
    const t = [
      'train',
      'sgmmqf',
      '--steps',
      '400',
      '--components',
      '4',
      '--eval-every',
      '400',
      '--eval-episodes',
      '1',
      '--quiet',
      '--out',
      run,
    ];
    expect(await main(t, quiet, quiet)).to.equal(0);
    expect(await main(['export', run, '--out', model], quiet, quiet)).to.equal(0);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('resolves with the passing report for the file exported from the checkpoint', async () => {
    const report = await assertParity(run, model, { states: 60, backend: 'cpu' });
    expect(report.pass).to.equal(true);
  });

  it('rejects with a ParityError whose message is verify’s summary when the file computes something else', async () => {
    const bytes = new Uint8Array(readFileSync(model));
    const changed = edit(bytes, (m) => {
      const w = (m.graph!.initializer ?? []).find((t) => /weights$/.test(t.name ?? '') && (t.raw_data?.length ?? 0) > 0);
      expect(w, 'a weights initializer').to.not.equal(undefined);
      const f = new Float32Array(Uint8Array.from(w!.raw_data!).buffer);
      for (let i = 0; i < f.length; i++) f[i] = f[i]! * 1.5 + 0.25;
      w!.raw_data = new Uint8Array(f.buffer);
    });
    const bad = join(tmp, 'changed.onnx');
    writeFileSync(bad, changed);
    const err = await expectRejects(() => assertParity(run, bad, { states: 60, backend: 'cpu' }), ParityError);
    expect(err.message).to.match(/^assertParity\(.*changed\.onnx\):\n/);
    expect(err.message).to.match(/^greedy: +FAIL/m);
    expect(err.message).to.match(/verify: FAIL: /);
  });

  it('refuses bad options with a ValueError naming them', async () => {
    await expectRejects(() => assertParity(run, model, { states: 2 }), ValueError, /--states 2 is too few/);
    await expectRejects(() => assertParity(run, model, { rtol: 0 }), ValueError, /--rtol/);
  });
});
