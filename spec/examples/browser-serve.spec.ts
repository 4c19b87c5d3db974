/**
 * The browser example's server program (examples/browser/serve.ts) on bad input, without a browser:
 * its flags (parseServeFlags, checkModelFlag) and the compiled program, which exits 2 with a typed
 * error naming the flag, the path and the fix. Serving a real model to a real page is in
 * spec/browser/page.spec.ts.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileReadError, UnknownNameError, ValueError } from '../../contract/errors.js';
import { checkModelFlag, parseServeFlags } from '../../examples/browser/serve.js';

const SERVE_JS = fileURLToPath(new URL('../../examples/browser/serve.js', import.meta.url));

function serve(args: string[]): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [SERVE_JS, '--port=0', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe('examples/browser/serve.ts: flags and bad input', function () {
  this.timeout(120_000);
  let tmp = '';
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'gmmrl-serve-spec-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('parses --model PATH and --model=PATH (resolved), with the other flags', () => {
    expect(parseServeFlags(['--model', 'a/b.onnx']).model).to.equal(resolve('a/b.onnx'));
    const f = parseServeFlags(['--port=0', '--model=x.onnx', '--isolate']);
    expect(f).to.deep.equal({ port: 0, dist: null, models: null, model: resolve('x.onnx'), isolate: true });
  });

  it('--model without a path, an empty one, a bad port and an unknown flag are typed errors naming the flag', () => {
    expect(() => parseServeFlags(['--model'])).to.throw(ValueError, /--model needs the path of an \.onnx file/);
    expect(() => parseServeFlags(['--model', '--isolate'])).to.throw(ValueError, /--model needs the path/);
    expect(() => parseServeFlags(['--model='])).to.throw(ValueError, /--model= is empty/);
    expect(() => parseServeFlags(['--port=x'])).to.throw(ValueError, /--port=x must be an integer/);
    expect(() => parseServeFlags(['--modle=a.onnx'])).to.throw(UnknownNameError, /unknown argument "--modle=a\.onnx".*--model PATH\.onnx/);
  });

  it('checkModelFlag refuses a missing path, a directory and an empty file, naming --model, the path and the fix', () => {
    const missing = join(tmp, 'nope.onnx');
    expect(() => checkModelFlag(missing)).to.throw(
      FileReadError,
      `serve: --model ${missing}: no such file. Pass the path of an exported .onnx file`,
    );
    expect(() => checkModelFlag(tmp)).to.throw(FileReadError, `--model ${tmp} is a directory; pass the path of the .onnx file itself`);
    const empty = join(tmp, 'empty.onnx');
    writeFileSync(empty, '');
    expect(() => checkModelFlag(empty)).to.throw(FileReadError, `--model ${empty} is empty (0 bytes)`);
    const ok = join(tmp, 'ok.onnx');
    writeFileSync(ok, 'xyz');
    expect(checkModelFlag(ok)).to.equal(3);
  });

  it('the program exits 2 on a bad --model path (before looking for the bundle), printing the error class, flag and path', () => {
    const missing = join(tmp, 'missing.onnx');
    // --dist names a folder without a bundle: the --model check comes first
    const r = serve(['--dist=' + join(tmp, 'no-bundle'), '--model', missing]);
    expect(r.status, r.stderr).to.equal(2);
    expect(r.stderr).to.contain(`FileReadError: serve: --model ${missing}: no such file.`);
    expect(r.stdout).to.equal('');
  });

  it('the program exits 2 on an unknown flag and on a missing bundle (bad input, not a bug)', () => {
    const u = serve(['--step']);
    expect(u.status).to.equal(2);
    expect(u.stderr).to.contain('UnknownNameError: serve: unknown argument "--step"');
    const d = serve(['--dist=' + join(tmp, 'no-bundle')]);
    expect(d.status).to.equal(2);
    expect(d.stderr).to.contain(
      `FileReadError: serve: ${join(tmp, 'no-bundle', 'main.js')} is missing; build the page into that folder first`,
    );
  });
});
