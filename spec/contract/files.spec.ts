import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileReadError } from '../../contract/errors.js';
import { readRegularFile, readRegularFileSync, type ReadLimits } from '../../contract/files.js';

const LIMITS: ReadLimits = { what: 'test file', maxBytes: 16, raiseHint: 'raise maxBytes' };

describe('contract/files: reading an untrusted path', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gmmrl-files-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [name, read] of [
    ['sync', (p: string, l: ReadLimits) => Promise.resolve().then(() => readRegularFileSync(p, l))],
    ['async', readRegularFile],
  ] as const) {
    describe(name, () => {
      it('reads a regular file exactly, up to and including the limit', async () => {
        const p = join(dir, `ok-${name}`);
        writeFileSync(p, Buffer.from('0123456789abcdef'));
        expect((await read(p, LIMITS)).toString()).to.equal('0123456789abcdef');
        writeFileSync(join(dir, `empty-${name}`), '');
        expect((await read(join(dir, `empty-${name}`), LIMITS)).length).to.equal(0);
      });

      const refusals: [string, () => string, RegExp][] = [
        [
          'a file over the limit',
          () => (writeFileSync(join(dir, `big-${name}`), Buffer.alloc(17)), join(dir, `big-${name}`)),
          /17 bytes, over the limit of 16 bytes; if the file is genuine, raise maxBytes/,
        ],
        ['a directory', () => dir, /is a directory; expected a regular file/],
        ['/dev/zero (a device that never ends)', () => '/dev/zero', /\/dev\/zero is a character device/],
        [
          'a FIFO with no writer (would block forever)',
          () => {
            const p = join(dir, `fifo-${name}`);
            execFileSync('mkfifo', [p]);
            return p;
          },
          /is a FIFO \(named pipe\)/,
        ],
        ['a missing path', () => join(dir, 'missing'), /Cannot read test file .*missing: ENOENT/],
      ];
      for (const [what, path, re] of refusals) {
        it(`refuses ${what} with a FileReadError naming the path`, async () => {
          const p = path();
          const err = await read(p, LIMITS).then(
            () => null,
            (e: unknown) => e,
          );
          expect(err).to.be.instanceOf(FileReadError);
          expect((err as Error).message)
            .to.match(re)
            .and.include(p);
        });
      }
    });
  }
});
