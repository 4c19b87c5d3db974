/**
 * Loading a model file one cannot trust: special and huge files (regular files only, maxFileBytes
 * before anything is read, for paths, downloads and bytes alike), the integrity digest
 * (model_sha256, runtime/digest.ts), loadPolicy's options checked before use, and the Policy
 * methods' arguments.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileReadError, ModelFormatError, ValueError } from '../../contract/errors.js';
import { MODEL_SHA256_PREFIX } from '../../contract/metadata.js';
import { canonicalDigest, checkModelDigest, jsSha256, type NewHash } from '../../runtime/digest.js';
import * as nodeRt from '../../runtime/index.node.js';
import * as webRt from '../../runtime/index.web.js';
import type { Policy } from '../../runtime/types.js';
import { goldenRoot } from '../golden/golden-io.js';
import { expectRejects } from '../helpers.js';
import { behaviour, probeRows } from './fuzz-harness.js';
import { editMetadataJson } from './model-edit.js';

const SEALED = new Uint8Array(readFileSync(join(goldenRoot(), 'gmmqf-cartpole', 'model.onnx')));
const ACTOR = new Uint8Array(readFileSync(join(goldenRoot(), 'gamid-pendulum', 'model.onnx')));
const MIB512 = 512 * 1024 * 1024;

type Load = (src: Uint8Array | ArrayBuffer | string, opts?: Record<string, unknown>) => Promise<Policy>;
const ENTRIES: [string, Load][] = [
  ['onnxruntime-node', nodeRt.loadPolicy as unknown as Load],
  ['onnxruntime-web', webRt.loadPolicy as unknown as Load],
];

/** Where the digest's 64 digits start in a sealed file. */
function digestAt(bytes: Uint8Array): number {
  return Buffer.from(bytes).toString('latin1').lastIndexOf(MODEL_SHA256_PREFIX) + MODEL_SHA256_PREFIX.length;
}

/** The offset of a byte inside the largest initializer's data (the GMM-QF's precision factors). */
function weightByte(bytes: Uint8Array): number {
  const at = Buffer.from(bytes).indexOf(Buffer.from('gmmqf/precision_factors_t', 'latin1'));
  expect(at).to.be.above(0);
  return at + 60; // past the name, inside raw_data
}

describe('runtime: model files that cannot be trusted', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gmmrl-modelfile-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('special and huge files (node entry): refused before anything is read', () => {
    it('/dev/zero (a character device) → FileReadError at once, instead of reading forever', async function () {
      if (!existsSync('/dev/zero')) this.skip();
      await expectRejects(
        () => nodeRt.loadPolicy('/dev/zero'),
        FileReadError,
        /model file \/dev\/zero is a character device; expected a regular file/,
      );
    });

    it('a FIFO with no writer → FileReadError naming it, instead of blocking the process', async function () {
      const fifo = join(dir, 'pipe.onnx');
      try {
        execFileSync('mkfifo', [fifo]);
      } catch {
        this.skip();
      }
      await expectRejects(() => nodeRt.loadPolicy(fifo), FileReadError, /pipe\.onnx is a FIFO \(named pipe\); expected a regular file/);
    });

    it('a directory → FileReadError', async () => {
      await expectRejects(() => nodeRt.loadPolicy(dir), FileReadError, /is a directory; expected a regular file/);
    });

    it('a file over maxFileBytes → FileReadError with its size, the limit and how to raise it; at the limit it loads', async () => {
      const file = join(dir, 'm.onnx');
      writeFileSync(file, SEALED);
      const n = SEALED.length;
      const err = await expectRejects(
        () => nodeRt.loadPolicy(file, { maxFileBytes: n - 1 }),
        FileReadError,
        new RegExp(`is ${n} bytes, over the limit of ${n - 1} bytes`),
      );
      expect(err.message).to.match(/pass \{ maxFileBytes: N \} to loadPolicy with N at least its size/);
      const p = await nodeRt.loadPolicy(file, { maxFileBytes: n });
      expect(p.info.byteLength).to.equal(n);
      await p.dispose();
    });

    it('the default limit is 512 MiB: a (sparse) file one byte over it is refused by its size, unread', async () => {
      const file = join(dir, 'huge.onnx');
      writeFileSync(file, '');
      truncateSync(file, MIB512 + 1);
      await expectRejects(
        () => nodeRt.loadPolicy(file),
        FileReadError,
        new RegExp(`is ${MIB512 + 1} bytes, over the limit of ${MIB512} bytes`),
      );
      rmSync(file);
    });

    for (const [entry, load] of ENTRIES) {
      it(`${entry}: bytes passed directly get the same limit (ValueError), as a Uint8Array and as an ArrayBuffer`, async () => {
        const n = SEALED.length;
        await expectRejects(
          () => load(SEALED, { maxFileBytes: n - 1 }),
          ValueError,
          new RegExp(`model bytes are ${n} bytes, over the limit of ${n - 1} bytes \\(maxFileBytes\\)`),
        );
        const ab = SEALED.buffer.slice(SEALED.byteOffset, SEALED.byteOffset + n) as ArrayBuffer;
        await expectRejects(() => load(ab, { maxFileBytes: 100 }), ValueError, /over the limit of 100 bytes/);
        const p = await load(ab, { maxFileBytes: n });
        await p.dispose();
      });

      it(`${entry}: maxFileBytes must be an integer in [1, 2³¹ − 1] → ValueError naming it`, async () => {
        for (const bad of [0, -1, 1.5, 2 ** 31, NaN, '1e6', null]) {
          await expectRejects(
            () => load(SEALED, { maxFileBytes: bad }),
            ValueError,
            /options\.maxFileBytes must be an integer in \[1, 2147483647\]/,
          );
        }
      });
    }
  });

  describe('web entry: downloads are cut at maxFileBytes', () => {
    let server: Server;
    let base = '';
    before(async () => {
      server = createServer((req, res) => {
        if (req.url === '/declared') {
          res.writeHead(200, { 'content-length': String(SEALED.length) });
          res.end(Buffer.from(SEALED));
        } else {
          // chunked: no Content-Length, so only counting the body can stop it
          res.writeHead(200, { 'transfer-encoding': 'chunked' });
          for (let i = 0; i < 8; i++) res.write(Buffer.from(SEALED));
          res.end();
        }
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const addr = server.address() as { port: number };
      base = `http://127.0.0.1:${addr.port}`;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('a Content-Length over the limit → FileReadError before the body is read', async () => {
      await expectRejects(
        () => webRt.loadPolicy(`${base}/declared`, { maxFileBytes: 1000 }),
        FileReadError,
        new RegExp(`is ${SEALED.length} bytes \\(Content-Length\\), over the limit of 1000 bytes`),
      );
      const p = await webRt.loadPolicy(`${base}/declared`);
      expect(p.info.integrity).to.equal('verified');
      await p.dispose();
    });

    it('a body without Content-Length that runs past the limit → FileReadError, the download stopped there', async () => {
      await expectRejects(
        () => webRt.loadPolicy(`${base}/chunked`, { maxFileBytes: 20_000 }),
        FileReadError,
        /more than 20000 bytes \(the download was stopped there\)/,
      );
    });

    it('a data: URL over the limit → FileReadError', async () => {
      const url = `data:application/octet-stream;base64,${Buffer.from(SEALED).toString('base64')}`;
      await expectRejects(() => webRt.loadPolicy(url, { maxFileBytes: 1000 }), FileReadError, /over the limit of 1000 bytes/);
    });

    it('fetchInit must be an object → ValueError', async () => {
      await expectRejects(
        () => webRt.loadPolicy(SEALED, { fetchInit: 'no-cors' as unknown as RequestInit }),
        ValueError,
        /options\.fetchInit must be a RequestInit object/,
      );
    });
  });

  describe('integrity: model_sha256', () => {
    it('the digest is SHA-256 of the whole file with its own 64 digits read as "0" (reproduced here with node:crypto)', () => {
      const at = digestAt(SEALED);
      const digest = Buffer.from(SEALED.subarray(at, at + 64)).toString('latin1');
      const blanked = new Uint8Array(SEALED);
      blanked.fill(0x30, at, at + 64);
      expect(createHash('sha256').update(blanked).digest('hex')).to.equal(digest);
      expect(SEALED.length - at, 'the digest closes the file: the last field of the last metadata entry').to.equal(66);
    });

    it('the pure-JS hash (web entry) and node:crypto (node entry) give the same digest on every golden model', () => {
      const nodeHash: NewHash = () => {
        const h = createHash('sha256');
        return { update: (d: Uint8Array) => h.update(d), hex: () => h.digest('hex') };
      };
      for (const name of [
        'gmmqf-cartpole',
        'sgmmqf-cartpole',
        'dqn-pendulum-grid',
        'sac-sgm-pendulum',
        'sac-sgm-pendulum-float64',
        'gamid-pendulum',
      ]) {
        const b = new Uint8Array(readFileSync(join(goldenRoot(), name, 'model.onnx')));
        const at = digestAt(b);
        expect(canonicalDigest(b, at, jsSha256), name).to.equal(canonicalDigest(b, at, nodeHash));
        expect(checkModelDigest(b, nodeHash), name).to.deep.include({ integrity: 'verified' });
      }
    });

    for (const [entry, load] of ENTRIES) {
      describe(entry, () => {
        it('an exported file loads as verified, without warnings', async () => {
          const p = await load(SEALED);
          expect([p.info.integrity, p.info.warnings]).to.deep.equal(['verified', []]);
          await p.dispose();
        });

        it('one changed byte in a weight → ModelFormatError with the expected and the found digest, "re-export it"', async () => {
          const bad = new Uint8Array(SEALED);
          const w = weightByte(bad);
          bad[w] = bad[w]! ^ 0x01;
          const at = digestAt(SEALED);
          const expected = Buffer.from(SEALED.subarray(at, at + 64)).toString('latin1');
          const err = await expectRejects(() => load(bad), ModelFormatError, /The model file does not match its digest/);
          expect(err.message).to.include(`model_sha256 is ${expected}, but the file hashes to `);
          expect(err.message).to.match(/hashes to [0-9a-f]{64}/);
          expect(err.message).to.match(/The file was modified or corrupted after export; re-export it/);
        });

        it('the metadata is covered too: a changed env_id with the old digest → the same ModelFormatError', async () => {
          const edited = editMetadataJson(SEALED, (o) => (o['env_id'] = 'CartPole-v0'), { reseal: false });
          await expectRejects(() => load(edited), ModelFormatError, /does not match its digest/);
        });

        it('a file without the digest (an older export) loads as unverified with a warning, and behaves the same', async () => {
          const bare = editMetadataJson(SEALED, (o) => delete o['model_sha256']);
          const [p, q] = [await load(bare), await load(SEALED)];
          try {
            expect(p.info.integrity).to.equal('unverified');
            expect(p.info.warnings).to.have.length(1);
            expect(p.info.warnings[0]).to.match(/has no model_sha256 digest .* cannot be detected; re-export it/);
            const rows = probeRows(q);
            expect(await behaviour(p, rows)).to.equal(await behaviour(q, rows));
          } finally {
            await p.dispose();
            await q.dispose();
          }
        });

        it('a digest that is not the last field of the JSON cannot be checked → ModelFormatError, not a silent pass', async () => {
          const moved = editMetadataJson(
            SEALED,
            (o) => {
              const d = o['model_sha256'];
              delete o['model_sha256'];
              for (const k of Object.keys(o)) {
                const v = o[k];
                delete o[k];
                o[k] = v;
              }
              Object.assign(o, { model_sha256: d, note: 'appended by another tool' });
            },
            { reseal: false },
          );
          await expectRejects(
            () => load(moved),
            ModelFormatError,
            /model_sha256 = [0-9a-f]{64}, but not as the last field of the JSON text/,
          );
        });

        it('a digest that is not 64 lower-case hex digits → ModelFormatError naming the field', async () => {
          const upper = editMetadataJson(SEALED, (o) => (o['model_sha256'] = String(o['model_sha256']).toUpperCase()), { reseal: false });
          await expectRejects(() => load(upper), ModelFormatError, /model_sha256 must be 64 lower-case hex digits/);
        });
      });
    }
  });

  describe('loadPolicy options are checked before use (ValueError naming the option, the value and what it takes)', () => {
    const NODE_BAD: [Record<string, unknown>, RegExp][] = [
      [{ intraOpNumThreads: -1 }, /sessionOptions\.intraOpNumThreads must be an integer in \[0, 1024\], got -1/],
      [{ intraOpNumThreads: 1e9 }, /sessionOptions\.intraOpNumThreads must be an integer in \[0, 1024\], got 1000000000/],
      [{ interOpNumThreads: 1.5 }, /sessionOptions\.interOpNumThreads must be an integer in \[0, 1024\], got 1\.5/],
      [{ intraOpNumThreads: '2' }, /intraOpNumThreads must be an integer in \[0, 1024\], got "2"/],
      [
        { graphOptimizationLevel: 'bogus' },
        /graphOptimizationLevel must be one of "disabled", "basic", "extended", "layout", "all", got "bogus"/,
      ],
      [{ executionMode: 'fast' }, /executionMode must be one of "sequential", "parallel"/],
      [{ enableMemPattern: 'yes' }, /enableMemPattern must be true or false, got "yes"/],
      [{ logSeverityLevel: 7 }, /logSeverityLevel must be an integer in \[0, 4\], got 7/],
      [{ logId: 3 }, /logId must be a non-empty string, got 3/],
      [{ extra: { session: { disable_prepacking: 1 } } }, /extra must be a plain object of string config values/],
      [
        { intraOpNumThred: 1 },
        /unknown option sessionOptions\.intraOpNumThred \(1\); the session options of onnxruntime-node are intraOpNumThreads, /,
      ],
      [{ executionProviders: ['cpu'] }, /sessionOptions\.executionProviders is not accepted: loadPolicy sets it/],
      [{ externalData: [] }, /sessionOptions\.externalData is not accepted: gmmrl models keep their weights inside the file/],
      [{ preferredOutputLocation: 'gpu-buffer' }, /preferredOutputLocation is not accepted: the runtime checks every output on the CPU/],
      [
        { freeDimensionOverrides: { N: 1 } },
        /sessionOptions\.freeDimensionOverrides is not read by onnxruntime-node, which would ignore it/,
      ],
      [{ enableProfiling: true }, /enableProfiling is true but profileFilePrefix is missing/],
    ];
    const WEB_BAD: [Record<string, unknown>, RegExp][] = [
      [
        { intraOpNumThreads: 2 },
        /intraOpNumThreads is not read by onnxruntime-web, which would ignore it \(onnxruntime-web's threads are ort\.env\.wasm\.numThreads/,
      ],
      [{ profileFilePrefix: 'p' }, /profileFilePrefix is not read by onnxruntime-web/],
      [{ freeDimensionOverrides: { N: 0 } }, /freeDimensionOverrides must be an object mapping dimension names to positive integers/],
      [{ graphOptimizationLevel: 'bogus' }, /graphOptimizationLevel must be one of/],
      [{ logVerbosityLevel: -1 }, /logVerbosityLevel must be an integer in \[0, 2147483647\]/],
    ];

    for (const [entry, load] of ENTRIES) {
      const cases = entry === 'onnxruntime-node' ? NODE_BAD : WEB_BAD;
      it(`${entry}: bad sessionOptions (${cases.length} cases) → ValueError, not a "corrupt model"`, async () => {
        for (const [so, pattern] of cases) await expectRejects(() => load(SEALED, { sessionOptions: so }), ValueError, pattern);
        await expectRejects(() => load(SEALED, { sessionOptions: [1] }), ValueError, /options\.sessionOptions must be a plain object/);
      });

      it(`${entry}: valid sessionOptions load`, async () => {
        const so =
          entry === 'onnxruntime-node'
            ? {
                intraOpNumThreads: 1,
                interOpNumThreads: 0,
                graphOptimizationLevel: 'all',
                logSeverityLevel: 3,
                enableCpuMemArena: false,
                extra: { session: { disable_prepacking: '1' } },
              }
            : {
                graphOptimizationLevel: 'basic',
                logSeverityLevel: 3,
                logVerbosityLevel: 0,
                freeDimensionOverrides: { N: 1 },
                executionMode: 'sequential',
              };
        const p = await load(SEALED, { sessionOptions: so });
        expect(await p.act([0.01, -0.02, 0.03, 0.04])).to.be.a('number');
        await p.dispose();
      });

      it(`${entry}: seed and greedyGraph name themselves`, async () => {
        await expectRejects(
          () => load(SEALED, { seed: -1 }),
          ValueError,
          /^loadPolicy: options\.seed must be an integer in \[0, 4294967295\]/,
        );
        await expectRejects(() => load(SEALED, { greedyGraph: 1 }), ValueError, /^loadPolicy: options\.greedyGraph must be true or false/);
      });
    }
  });

  describe('Policy method arguments are checked before use', () => {
    for (const [entry, load] of ENTRIES) {
      describe(entry, () => {
        let q: Policy;
        let actor: Policy;
        before(async () => {
          q = await load(SEALED);
          actor = await load(ACTOR);
        });
        after(async () => {
          await q.dispose();
          await actor.dispose();
        });

        it('an array-like obs with a bad length → ValueError naming obs.length (was a raw RangeError)', async () => {
          for (const len of [-4, 1.5, NaN, 2 ** 32]) {
            await expectRejects(
              () => q.act({ length: len } as unknown as number[]),
              ValueError,
              /act: obs\.length is .*; an array-like observation needs a length that is an integer in \[0, 4294967295\]/,
            );
          }
          await expectRejects(() => q.actBatch({ length: -8 } as unknown as number[]), ValueError, /actBatch: obs\.length is -8/);
        });

        it('an array-like obs with a huge length but no entries → ValueError at its first entry, nothing allocated for it', async () => {
          await expectRejects(
            () => q.act({ length: 4e9 } as unknown as number[]),
            ValueError,
            /act: obs\[0\] is undefined, not a number \(obs is array-like with length 4000000000\)/,
          );
        });

        it('a well-formed array-like obs acts as the array does', async () => {
          const obs = [0.01, -0.02, 0.03, 0.04];
          const like = { length: 4, 0: obs[0], 1: obs[1], 2: obs[2], 3: obs[3] } as unknown as number[];
          expect(await q.act(like)).to.equal(await q.act(obs));
        });

        it('extra arguments → ValueError (they would be ignored): q(obs, opts), act(obs, opts, more)', async () => {
          const obs = [0.01, -0.02, 0.03, 0.04];
          await expectRejects(
            () => (q.q as (...a: unknown[]) => Promise<unknown>)(obs, { mode: 'sample' }),
            ValueError,
            /^q takes \(obs\), but was given 2 arguments; the extra ones would be ignored\. q has no options/,
          );
          await expectRejects(
            () => (q.qBatch as (...a: unknown[]) => Promise<unknown>)([obs], undefined),
            ValueError,
            /^qBatch takes \(obs\)/,
          );
          await expectRejects(
            () => (q.act as (...a: unknown[]) => Promise<unknown>)(obs, {}, 1),
            ValueError,
            /^act takes \(obs, opts\), but was given 3/,
          );
          const aobs = [1, 0, 0.5];
          await expectRejects(
            () => (actor.envAction as (...a: unknown[]) => Promise<unknown>)(aobs, {}, { mode: 'sample' }),
            ValueError,
            /^envAction takes \(obs, opts\)/,
          );
          expect(await q.act(obs, undefined)).to.be.a('number'); // trailing undefined is still one of act's two
        });
      });
    }
  });
});
