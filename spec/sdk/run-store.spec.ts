/**
 * The run directory of `gmmrl train` (sdk/run-store.ts, sdk/cli/train.ts): --out checked before any
 * training, existing runs refused unless --overwrite / --resume, the generation layout and its
 * pointer, Ctrl-C / SIGTERM (a real signal to a child process), --resume (exactly the parameters
 * of an uninterrupted run) and its refusals, the run directory everywhere a checkpoint directory
 * is accepted (export, verify, openCheckpoint, checkpointFamily), and `gmmrl export --out` never
 * writing into its own checkpoint. The algorithm is `toyr` (run-store/toy-resumable.ts).
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelFormatError } from '../../contract/errors.js';
import { loadDqnCheckpoint } from '../../models/dqn/checkpoint.js';
import { RUN_FILE, openCheckpoint, readRunPointer, resolveCheckpointDir } from '../../models/checkpoint-files.js';
import { checkpointFamily } from '../../sdk/checkpoints.js';
import { main, registerAlgorithm, unregisterAlgorithm } from '../../sdk/cli.js';
import { unregisterEnv } from '../../sdk/envs/index.js';
import { LOCK_FILE, readTrainingState } from '../../sdk/run-store.js';
import { captureCli, expectThrows, type CliRun } from '../helpers.js';
import { TOY_ID, registerToyEnv } from '../architecture/toy-env.js';
import { TOY_ENTRY } from '../architecture/toy-algorithm.js';
import { TOYR_ENTRY } from './run-store/toy-resumable.js';

const cli = (...argv: string[]): Promise<CliRun> => captureCli(main, argv);
const BIN = join(dirname(fileURLToPath(import.meta.url)), 'run-store', 'toy-bin.js');
const TRAIN = ['train', 'toyr', '--quiet'];

/** The run's best weights (layer0.weight) through the run directory. */
function bestWeights(run: string): number[] {
  return Array.from(loadDqnCheckpoint(run).params.weights[0]!);
}

function record(run: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(run, RUN_FILE), 'utf8')) as Record<string, unknown>;
}

/** Spawns toy-bin with `args`; `onLine` sees each stderr line and may signal the child. */
function child(
  args: string[],
  onLine: (line: string, kill: (s: NodeJS.Signals) => void) => void = () => {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let pending = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      pending += d;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const l of lines) onLine(l, (s) => p.kill(s));
    });
    p.on('error', reject);
    p.on('close', (code, signal) => resolve({ code, signal, out, err }));
  });
}

describe('sdk/run-store: the run directory of gmmrl train', function () {
  this.timeout(60_000);
  let tmp: string;
  let reference: number[]; // the best weights of an uninterrupted 60-step run

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'gmmrl-run-store-'));
    registerToyEnv();
    registerAlgorithm(TOYR_ENTRY);
    registerAlgorithm(TOY_ENTRY);
    const r = await cli(...TRAIN, '--out', join(tmp, 'reference'));
    expect(r.code, r.err).to.equal(0);
    reference = bestWeights(join(tmp, 'reference'));
  });
  after(() => {
    unregisterAlgorithm('toyr');
    unregisterAlgorithm('toy');
    unregisterEnv(TOY_ID);
    rmSync(tmp, { recursive: true, force: true });
  });

  describe('--out is checked before any training (exit 2, the message names --out)', () => {
    it('an existing file, a path under a file, /proc, /sys and /dev paths, a special file', async () => {
      const file = join(tmp, 'a-file');
      writeFileSync(file, 'mine');
      const cases: [string, RegExp][] = [
        [file, /--out .*a-file cannot be a run directory: .*a-file is a file\. Choose another --out/],
        [join(file, 'run'), /--out .*a-file\/run cannot be a run directory: .*a-file is a file, so nothing can be created under it/],
        ['/proc/gmmrl-run', /--out \/proc\/gmmrl-run cannot be a run directory: \/proc\/gmmrl-run is under \/proc, a kernel file system/],
        ['/sys/gmmrl-run', /is under \/sys, a kernel file system/],
        ['/dev/null', /--out \/dev\/null cannot be a run directory: \/dev\/null is under \/dev/],
        // a name longer than the file system takes (scripts/cli-fuzz.mjs found export's untyped ENAMETOOLONG)
        [join(tmp, 'x'.repeat(300)), /--out .*x{300} cannot be a run directory: .*cannot be used \(ENAMETOOLONG/],
      ];
      for (const [out, message] of cases) {
        const r = await cli(...TRAIN, '--out', out);
        expect(r.code, `${out}: ${r.err}`).to.equal(2);
        expect(r.err, out).to.match(message);
        expect(r.err, out).to.not.match(/^\s+at /m); // no stack trace
      }
      expect(readFileSync(file, 'utf8')).to.equal('mine');
    });

    it('a directory this user cannot write (skipped as root: root writes everywhere)', async function () {
      if (process.getuid?.() === 0) this.skip();
      const ro = join(tmp, 'read-only');
      mkdirSync(ro);
      chmodSync(ro, 0o500);
      try {
        const r = await cli(...TRAIN, '--out', join(ro, 'run'));
        expect(r.code).to.equal(2);
        expect(r.err).to.match(/--out .*read-only\/run cannot be a run directory: .*read-only is not writable by this user/);
      } finally {
        chmodSync(ro, 0o700);
      }
    });

    it('the run directory exists (with its run.json) before the first evaluation, and nested missing parents are created', async () => {
      const run = join(tmp, 'nested', 'a', 'b');
      const r = await cli(...TRAIN, '--steps', '5', '--eval-every', '5', '--out', run);
      expect(r.code, r.err).to.equal(0);
      expect(record(run)).to.include({ format: 'gmmrl-run', status: 'complete', algorithm: 'toyr' });
    });
  });

  describe('an existing directory is not overwritten silently', () => {
    it('a gmmrl run is refused without --overwrite or --resume, and left as it was', async () => {
      const run = join(tmp, 'reference');
      const before = readFileSync(join(run, RUN_FILE), 'utf8');
      const r = await cli(...TRAIN, '--out', run);
      expect(r.code).to.equal(2);
      expect(r.err).to.match(
        /--out .*reference already holds a gmmrl run \(toyr, status complete, generation 4, 60 env steps\)\. Pass --overwrite to replace it, or choose another --out/,
      );
      expect(readFileSync(join(run, RUN_FILE), 'utf8')).to.equal(before);
    });

    it('a non-empty directory that is not a run is refused even with --overwrite, naming what is there', async () => {
      const dir = join(tmp, 'user-files');
      mkdirSync(join(dir, 'notes'), { recursive: true });
      writeFileSync(join(dir, 'thesis.tex'), 'do not delete');
      for (const extra of [[], ['--overwrite']]) {
        const r = await cli(...TRAIN, ...extra, '--out', dir);
        expect(r.code).to.equal(2);
        expect(r.err).to.match(
          /--out .*user-files is a non-empty directory that is not a gmmrl run \(it holds notes, thesis\.tex\)\. .*not even --overwrite/,
        );
      }
      expect(readdirSync(dir).sort()).to.deep.equal(['notes', 'thesis.tex']);
    });

    it('--overwrite replaces a run (only what a run writes: other files stay, and it says so); an empty directory needs no flag', async () => {
      const run = join(tmp, 'overwritten');
      mkdirSync(run);
      expect((await cli(...TRAIN, '--seed', '5', '--out', run)).code).to.equal(0);
      writeFileSync(join(run, 'policy.onnx'), 'exported');
      const r = await captureCli(main, ['train', 'toyr', '--overwrite', '--out', run]);
      expect(r.code, r.err).to.equal(0);
      expect(r.err).to.match(/--overwrite: replaced the run at .*overwritten\/ \(kept files it did not write: policy\.onnx\)/);
      expect(readFileSync(join(run, 'policy.onnx'), 'utf8')).to.equal('exported');
      expect(bestWeights(run)).to.deep.equal(reference); // seed 0 now, not 5
      expect(record(run)['command_flags']).to.deep.equal({});
    });

    it('--overwrite and --resume together are refused', async () => {
      const r = await cli(...TRAIN, '--overwrite', '--resume', '--out', join(tmp, 'reference'));
      expect(r.code).to.equal(2);
      expect(r.err).to.match(/--overwrite and --resume contradict each other/);
    });

    it('a checkpoint of the flat layout (older runs) is refused, replaced with --overwrite, never resumed; it still loads and exports', async () => {
      const flat = join(tmp, 'flat');
      cpSync(resolveCheckpointDir(join(tmp, 'reference')), flat, { recursive: true });
      expect(bestWeights(flat)).to.deep.equal(reference);
      const e = await cli('export', flat, '--out', join(tmp, 'flat.onnx'));
      expect(e.code, e.err).to.equal(0);
      const r = await cli(...TRAIN, '--out', flat);
      expect(r.code).to.equal(2);
      expect(r.err).to.match(/--out .*flat already holds a gmmrl checkpoint \(config\.json \+ weights\.safetensors\)\. Pass --overwrite/);
      const s = await cli(...TRAIN, '--resume', '--out', flat);
      expect(s.err).to.match(/--resume: .*flat is a checkpoint of the flat layout .* cannot be continued/);
      const o = await cli(...TRAIN, '--overwrite', '--out', flat);
      expect(o.code, o.err).to.equal(0);
      expect(existsSync(join(flat, 'config.json'))).to.equal(false);
      expect(record(flat)['status']).to.equal('complete');
    });
  });

  describe('layout: one generation, run.json the pointer', () => {
    it('checkpoints/N/{best,latest}, metrics copies, nothing else; best and latest load; state.json carries the state hash', () => {
      const run = join(tmp, 'reference');
      expect(readdirSync(run).sort()).to.deep.equal(['checkpoints', 'curve.svg', 'metrics.csv', 'run.json']);
      expect(readdirSync(join(run, 'checkpoints'))).to.deep.equal(['4']); // 3 evaluations + the final commit; older ones deleted
      const rec = readRunPointer(run)!;
      expect(rec).to.include({
        generation: 4,
        best: 'checkpoints/4/best',
        latest: 'checkpoints/4/latest',
        status: 'complete',
        env_steps: 60,
      });
      expect(readdirSync(join(run, 'checkpoints', '4')).sort()).to.deep.equal(['best', 'curve.svg', 'latest', 'metrics.csv']);
      expect(readFileSync(join(run, 'metrics.csv'), 'utf8')).to.equal(readFileSync(join(run, 'checkpoints/4/metrics.csv'), 'utf8'));
      expect(readFileSync(join(run, 'metrics.csv'), 'utf8').trim().split('\n')).to.have.length(4);
      expect(loadDqnCheckpoint(join(run, 'checkpoints/4/latest')).params.layers).to.deep.equal([7, 2]);
      expect(rec['weights_sha256']).to.equal(loadDqnCheckpoint(run).sha256);
      const state = readTrainingState(join(run, 'checkpoints/4/latest'), rec['latest_state_sha256'] as string);
      expect(state).to.include({ algorithm: 'toyr', envSteps: 60 });
      expect(openCheckpoint(run, 'dqn').wPath).to.equal(join(run, 'checkpoints/4/best/weights.safetensors'));
      expect(checkpointFamily(run)).to.equal('dqn');
    });

    it('a run with no checkpoint yet, a run.json pointing elsewhere, and a mismatched state file are ModelFormatErrors naming the file', () => {
      const run = join(tmp, 'gen0');
      mkdirSync(join(run, 'checkpoints'), { recursive: true });
      const base = {
        format: 'gmmrl-run',
        format_version: 1,
        algorithm: 'toyr',
        status: 'running',
        generation: 0,
        env_steps: 0,
        command_flags: {},
      };
      writeFileSync(join(run, RUN_FILE), JSON.stringify(base));
      expectThrows(() => openCheckpoint(run, 'dqn'), ModelFormatError, /has no checkpoint yet .*'gmmrl train toyr --out .*gen0 --resume'/);
      writeFileSync(join(run, RUN_FILE), JSON.stringify({ ...base, generation: 2, best: '../../elsewhere' }));
      expectThrows(
        () => checkpointFamily(run),
        ModelFormatError,
        /run\.json field "best" is "\.\.\/\.\.\/elsewhere"; expected "checkpoints\/2\/best"/,
      );
      const ref = join(tmp, 'reference', 'checkpoints', '4', 'latest');
      expectThrows(() => readTrainingState(ref, '0'.repeat(64)), ModelFormatError, /state\.safetensors has SHA-256 .* run\.json "0000/);
    });
  });

  describe('Ctrl-C / SIGTERM and --resume', () => {
    const SLOW = ['--pause-ms', '300'];

    for (const [signal, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      it(`${signal} after the first evaluation: the step in flight finishes, the run is saved as interrupted, exit ${code}, the summary names the resume command; --resume trains exactly the uninterrupted run`, async () => {
        const run = join(tmp, `signal-${signal}`);
        let sent = false;
        const r = await child([...SLOW, '--out', run], (line, kill) => {
          if (!sent && /^step 20:/.test(line)) {
            sent = true;
            kill(signal); // during the pause after the first evaluation
          }
        });
        expect(r.code, r.err).to.equal(code);
        expect(r.err).to.match(new RegExp(`${signal}: finishing the step in flight and saving`));
        expect(r.out).to.match(
          new RegExp(
            `stopped by ${signal} at step 20 of 60; saved generation 1 in .*\\. Resume with: gmmrl train toyr --out .*signal-${signal} --resume`,
          ),
        );
        const rec = record(run);
        expect(rec['status']).to.equal('interrupted');
        expect(rec['env_steps']).to.equal(20);
        loadDqnCheckpoint(run); // the best so far loads
        const resumed = await captureCli(main, ['train', 'toyr', '--out', run, '--resume']);
        expect(resumed.code, resumed.err).to.equal(0);
        expect(resumed.err).to.match(/resuming .* from generation 1 at 20 env steps/);
        expect(record(run)).to.include({ status: 'complete', env_steps: 60 });
        expect(bestWeights(run)).to.deep.equal(reference);
        expect(readFileSync(join(run, 'metrics.csv'), 'utf8')).to.equal(readFileSync(join(tmp, 'reference', 'metrics.csv'), 'utf8'));
      });
    }

    it('a run in use by another gmmrl train is refused (exit 2, naming --out and its pid); after a kill -9 its stale lock is taken over', async () => {
      const run = join(tmp, 'locked');
      let refused: CliRun | undefined;
      let pid = 0;
      const r = await child([...SLOW, '--out', run], (line, kill) => {
        if (refused === undefined && /^step 20:/.test(line)) {
          refused = null as never; // once
          pid = JSON.parse(readFileSync(join(run, LOCK_FILE), 'utf8')).pid;
          void cli('train', 'toyr', '--out', run, '--resume').then((x) => {
            refused = x;
            kill('SIGKILL');
          });
        }
      });
      expect(r.signal).to.equal('SIGKILL');
      expect(refused!.code).to.equal(2);
      expect(refused!.err).to.match(
        new RegExp(`--out .*locked is in use by another gmmrl train \\(pid ${pid}, started .*\\); wait for it to end or stop it`),
      );
      expect(existsSync(join(run, LOCK_FILE))).to.equal(true); // left by the killed process
      const resumed = await cli('train', 'toyr', '--out', run, '--resume');
      expect(resumed.code, resumed.err).to.equal(0);
      expect(record(run)).to.include({ status: 'complete', env_steps: 60 });
      expect(existsSync(join(run, LOCK_FILE))).to.equal(false); // released at the end
    });

    it('a second SIGINT exits at once with 130, and the last committed generation stays loadable', async () => {
      const run = join(tmp, 'second-sigint');
      let first = false;
      let second = false;
      const r = await child(['--pause-ms', '400', '--ignore-stop', '--out', run], (line, kill) => {
        if (!first && /^step 20:/.test(line)) {
          first = true;
          kill('SIGINT');
        } else if (!second && /SIGINT: finishing the step in flight/.test(line)) {
          second = true;
          kill('SIGINT');
        }
      });
      expect(r.code, r.err).to.equal(130);
      expect(r.err).to.match(/second SIGINT: exiting at once; .* keeps its last saved generation \(1\)/);
      const rec = record(run);
      expect(rec).to.include({ status: 'running', generation: 1 });
      expect(bestWeights(run)).to.have.length(14);
      const resumed = await cli('train', 'toyr', '--out', run, '--resume', '--quiet');
      expect(resumed.code, resumed.err).to.equal(0);
    });

    it('--resume refuses contradicting flags (naming the flag and both values), a complete run, another algorithm, and a missing run', async () => {
      const run = join(tmp, 'to-resume');
      const make = await child(['--steps', '40', '--pause-ms', '300', '--out', run], (line, kill) => {
        if (/^step 20:/.test(line)) kill('SIGINT');
      });
      expect(make.code, make.err).to.equal(130);
      const steps = await cli('train', 'toyr', '--out', run, '--resume', '--steps', '60');
      expect(steps.code).to.equal(2);
      expect(steps.err).to.match(
        /gmmrl train toyr --resume: --steps 60 contradicts the run's recorded --steps 40 \(.*run\.json\)\. Drop --steps to continue with 40/,
      );
      const seed = await cli('train', 'toyr', '--out', run, '--resume', '--seed', '1');
      expect(seed.err).to.match(/--seed 1 contradicts the run's recorded --seed 0/);
      const other = await cli('train', 'toy', '--out', run, '--resume');
      expect(other.code).to.equal(2);
      expect(other.err).to.match(
        /--resume: .*to-resume is a run of "toyr", not "toy"\. Resume it with 'gmmrl train toyr --out .* --resume'/,
      );
      const same = await cli('train', 'toyr', '--out', run, '--resume', '--steps', '40', '--quiet');
      expect(same.code, same.err).to.equal(0); // repeating a recorded value is fine
      const again = await cli('train', 'toyr', '--out', run, '--resume');
      expect(again.code).to.equal(2);
      expect(again.err).to.match(/--resume: the run .*to-resume is complete \(40 env steps\); there is nothing to continue/);
      const missing = await cli('train', 'toyr', '--out', join(tmp, 'nothing-here'), '--resume');
      expect(missing.err).to.match(/--resume: --out .*nothing-here does not exist, so there is no run to continue/);
    });

    it('--resume refuses a latest state that does not match run.json', async () => {
      const run = join(tmp, 'tampered');
      const r = await child(['--pause-ms', '300', '--out', run], (line, kill) => {
        if (/^step 20:/.test(line)) kill('SIGINT');
      });
      expect(r.code, r.err).to.equal(130);
      const rec = readRunPointer(run)!;
      const state = join(run, rec.latest!, 'state.json');
      writeFileSync(state, readFileSync(state, 'utf8').replace(/"state_sha256": "[0-9a-f]+"/, `"state_sha256": "${'1'.repeat(64)}"`));
      const s = await cli('train', 'toyr', '--out', run, '--resume');
      expect(s.code).to.equal(2);
      expect(s.err).to.match(
        /state\.safetensors has SHA-256 [0-9a-f]{64} but state\.json records "1111.*the state files do not belong together/,
      );
    });
  });

  describe('gmmrl export and verify take the run directory; export never writes into its own checkpoint', () => {
    it('export RUN and verify RUN FILE work', async () => {
      const run = join(tmp, 'reference');
      const onnx = join(tmp, 'ref.onnx');
      const e = await cli('export', run, '--out', onnx);
      expect(e.code, e.err).to.equal(0);
      const v = await cli('verify', run, onnx, '--states', '50', '--backend', 'cpu');
      expect(v.code, v.err + v.out).to.equal(0);
    });

    it('refuses an --out whose name is too long for the file system (exit 2 naming --out, not an untyped ENAMETOOLONG)', async () => {
      for (const out of [join(tmp, `${'x'.repeat(300)}.onnx`), join(tmp, 'x'.repeat(300), 'policy.onnx')]) {
        const r = await cli('export', join(tmp, 'reference'), '--out', out);
        expect(r.code, r.err).to.equal(2);
        expect(r.err).to.match(/gmmrl export: --out .* cannot be (used|written).*ENAMETOOLONG/);
      }
    });

    it('refuses --out inside the checkpoint (flat and run layouts), a directory and a special file, leaving the checkpoint intact', async () => {
      const run = join(tmp, 'reference');
      const flat = join(tmp, 'flat-export');
      cpSync(resolveCheckpointDir(run), flat, { recursive: true });
      const cases: [string, string, RegExp][] = [
        [
          flat,
          join(flat, 'weights.safetensors'),
          /--out .*flat-export\/weights\.safetensors is .*weights\.safetensors, part of the checkpoint being exported/,
        ],
        [flat, join(flat, 'config.json'), /part of the checkpoint being exported/],
        [
          run,
          join(run, 'checkpoints', '4', 'best', 'weights.safetensors'),
          /is inside .*checkpoints, part of the checkpoint being exported/,
        ],
        [run, join(run, 'checkpoints', 'new.onnx'), /is inside .*checkpoints, part of the checkpoint/],
        [run, join(run, 'run.json'), /run\.json, part of the checkpoint being exported/],
        [run, run, /--out .*reference is a directory; name the \.onnx file to write/],
        [run, '/dev/null', /--out \/dev\/null is a special file/],
        [run, '/proc/x.onnx', /--out \/proc\/x\.onnx cannot be written: \/proc is under \/proc/],
      ];
      for (const [dir, out, message] of cases) {
        const r = await cli('export', dir, '--out', out);
        expect(r.code, `${out}: ${r.err}`).to.equal(2);
        expect(r.err, out).to.match(message);
      }
      expect(bestWeights(flat)).to.deep.equal(reference);
      expect(bestWeights(run)).to.deep.equal(reference);
      const ok = await cli('export', run, '--out', join(run, 'policy.onnx')); // beside the checkpoint is fine
      expect(ok.code, ok.err).to.equal(0);
      rmSync(join(run, 'policy.onnx'));
    });
  });
});
