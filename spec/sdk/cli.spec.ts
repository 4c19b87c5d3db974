import { expect } from 'chai';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { resolveCheckpointDir } from '../../models/checkpoint-files.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../sdk/cli.js';
import { captureCli, type CliRun } from '../helpers.js';

/** Runs the CLI in-process, capturing stdout and stderr lines. */
const cli = (...argv: string[]): Promise<CliRun> => captureCli(main, argv);

describe('sdk/cli', function () {
  this.timeout(180_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gmmrl-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('bad input: exit code 2 and a message naming the field, the value and the fix', () => {
    const cases: [string[], RegExp[]][] = [
      [
        ['train', 'gmmqf', '--env', 'CartPole-v1', '--out', 'x', '--learning-rate', '3'],
        [/unknown flag --learning-rate/, /Known flags: --env/],
      ],
      [
        ['train', 'gmmqf', '--env', 'CartPol-v1', '--out', 'x'],
        [/CartPol-v1/, /CartPole-v1/],
      ],
      [
        ['train', 'gmmqf', '--env', 'CartPole-v1'],
        [/--out is required/, /--out runs\//],
      ],
      [
        ['train', 'gmmqf', '--env', 'CartPole-v1', '--out', 'x', '--backend', 'gpu'],
        [/--backend must be one of auto, tensorflow-gpu, tensorflow, webgpu, wasm, cpu, wasm-threads; got "gpu"/],
      ],
      [['train', 'gmmqf', '--env', 'CartPole-v1', '--out', 'x', '--steps', '1e4'], [/--steps must be an integer; got "1e4"/]],
      [['train', 'gmmqf', '--env', 'CartPole-v1', '--out', 'x', '--gamma', '1.5'], [/--gamma 1\.5 is out of range; expected \[0, 1\)/]],
      [
        ['train', 'gmmqf', '--env', 'CartPole-v1', '--out', 'x', '--action-grid', '5'],
        [/--action-grid 5 given, but CartPole-v1 has discrete actions; remove the flag/],
      ],
      [
        ['train', 'sgmmqf', '--env', 'Pendulum-v1', '--out', 'x', '--action-grid', '-3,0,3'],
        [/-3/, /\[-2, 2\]/],
      ],
      [['train', 'sgmmqf', '--env', 'CartPole-v1', '--out', 'x', '--rho', '-1'], [/--rho -1 is out of range/]],
      [['train', 'sgmmqf', '--env', 'CartPole-v1', '--out', 'x', '--backend', 'wasm'], [/unknown flag --backend/]],
      [
        ['train', 'dqn', '--env', 'CartPole-v1', '--out', 'x', '--hidden', '128,abc'],
        [/--hidden "128,abc": entry 1 is not a positive integer/],
      ],
      [
        ['train', 'ppo', '--env', 'CartPole-v1'],
        [/unknown algorithm "ppo"/, /Available: gmmqf, sgmmqf, dqn/],
      ],
      [['export', '/nonexistent/run', '--out', 'p.onnx'], [/is not a directory/]],
      [['eval', '/nonexistent/p.onnx'], [/nonexistent\/p\.onnx/]],
      [['frobnicate'], [/unknown command "frobnicate"/]],
    ];
    for (const [argv, patterns] of cases) {
      it(argv.join(' '), async () => {
        const r = await cli(...argv);
        expect(r.code, r.err).to.equal(2);
        for (const p of patterns) expect(r.err).to.match(p);
      });
    }
  });

  it('train → export → eval → verify on a tiny CartPole run; files and JSON as documented', async () => {
    const run = join(dir, 'tiny');
    const onnx = join(dir, 'tiny.onnx');
    const t = await cli(
      'train',
      'gmmqf',
      '--env',
      'CartPole-v1',
      '--steps',
      '2500',
      '--components',
      '6',
      '--seed',
      '3',
      '--backend',
      'cpu',
      '--out',
      run,
    );
    expect(t.code, t.err).to.equal(0);
    expect(t.err).to.match(/backend: cpu/);
    expect(t.err).to.match(/iter +1\/\d+ +steps \d+\/2500 .*return .*loss .*steps\/s .*ETA/);
    for (const f of ['run.json', 'metrics.csv', 'curve.svg', 'checkpoints']) expect(existsSync(join(run, f)), f).to.equal(true);
    for (const f of ['config.json', 'weights.safetensors']) expect(existsSync(join(resolveCheckpointDir(run), f)), f).to.equal(true);
    const cfg = JSON.parse(readFileSync(join(resolveCheckpointDir(run), 'config.json'), 'utf8'));
    expect(cfg.backend).to.equal('cpu');
    expect(cfg.training.seed).to.equal(3);
    const csv = readFileSync(join(run, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).to.match(/^iteration,env_steps,/);
    expect(csv.length).to.be.greaterThan(1);
    expect(readFileSync(join(run, 'curve.svg'), 'utf8')).to.match(/^<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"/);

    expect((await cli('export', run, '--out', onnx)).code).to.equal(0);
    const ev = await cli('eval', onnx, '--episodes', '3', '--json');
    expect(ev.code, ev.err).to.equal(0);
    const evJson = JSON.parse(ev.out);
    expect(Object.keys(evJson).sort()).to.deep.equal(['episodes', 'mean_return', 'std_return']);
    expect(evJson.episodes).to.equal(3);
    expect(evJson.mean_return).to.be.within(1, 500);

    // the default output is a summary a person reads: one line per mode, verdict, differences, rule
    const h = await cli('verify', run, onnx, '--states', '300');
    expect(h.code, h.out + h.err).to.equal(0);
    expect(() => JSON.parse(h.out)).to.throw();
    expect(h.out).to.match(
      /^greedy: +PASS\. q max \|Δ\| \S+, max relative \S+; .*(q_rtol 0\.00001|2B).*; actions identical on \d+\/300 states/m,
    );
    expect(h.out).to.match(
      /^sampled: PASS\. ε-greedy action_sampled with identical noise \(ε \S+\): 300 rows, \d+ explored, 0 mismatches/m,
    );
    expect(h.out.split('\n').at(-1)).to.match(/^verify: PASS on 300 states \(100 rollout, 100 uniform, 100 far\)/);
    const v = await cli('verify', run, onnx, '--states', '300', '--json');
    expect(v.code, v.out + v.err).to.equal(0);
    const rep = JSON.parse(v.out);
    expect(rep.pass).to.equal(true);
    expect(rep.max_rel_diff.q).to.be.at.most(1e-5);
    expect(rep.action_mismatches_outside_ties).to.equal(0);
    expect(rep.states).to.deep.equal({ total: 300, rollout: 100, uniform: 100, far: 100 });
  });

  it('eval names its file: a file that is not ONNX, and a model trained on another env than --env (exit 2, both ids)', async () => {
    const fake = join(dir, 'fake.onnx');
    writeFileSync(fake, Uint8Array.from([0x08, 0x01, 0x14]));
    const f = await cli('eval', fake);
    expect(f.code, f.err).to.equal(2);
    expect(f.err).to.match(/^error: gmmrl eval: \S*fake\.onnx: .*wire type 4.*byte offset 2/);
    const onnx = join(dir, 'tiny.onnx'); // exported by the train → export → eval → verify test above (CartPole-v1)
    expect(existsSync(onnx), 'tiny.onnx from the test above').to.equal(true);
    const e = await cli('eval', onnx, '--env', 'Acrobot-v1', '--episodes', '1');
    expect(e.code, e.err).to.equal(2);
    expect(e.err).to.match(/tiny\.onnx was trained on CartPole-v1 \(metadata env_id\), but --env is Acrobot-v1/);
    const t = await cli('eval', onnx, '--env', 'CartPol-v1', '--episodes', '1');
    expect(t.code, t.err).to.equal(2);
    expect(t.err).to.match(/unknown environment id "CartPol-v1"\. Did you mean "CartPole-v1"\?/);
    const ok = await cli('eval', onnx, '--env', 'CartPole-v1', '--episodes', '1');
    expect(ok.code, ok.err).to.equal(0);
  });

  it('did you mean: a near-miss flag names the flag meant', async () => {
    const r = await cli('train', 'gmmqf', '--env', 'CartPole-v1', '--out', join(dir, 'never'), '--step', '3');
    expect(r.code).to.equal(2);
    expect(r.err).to.match(/unknown flag --step; did you mean --steps\?/);
    const v = await cli('verify', 'a', 'b.onnx', '--state', '3');
    expect(v.code).to.equal(2);
    expect(v.err).to.match(/unknown flag --state; did you mean --states\?/);
  });

  it('verify refuses (exit 2, naming both hashes) an ONNX file that comes from another checkpoint', async () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    for (const [d, seed] of [
      [a, '1'],
      [b, '2'],
    ] as const) {
      const r = await cli(
        'train',
        'gmmqf',
        '--env',
        'CartPole-v1',
        '--steps',
        '2100',
        '--components',
        '4',
        '--seed',
        seed,
        '--out',
        d,
        '--quiet',
      );
      expect(r.code, r.err).to.equal(0);
    }
    expect((await cli('export', b, '--out', join(dir, 'b.onnx'))).code).to.equal(0);
    const v = await cli('verify', a, join(dir, 'b.onnx'), '--states', '90');
    expect(v.code).to.equal(2);
    expect(v.err).to.match(
      /b\.onnx was exported from the checkpoint whose weights have SHA-256 [0-9a-f]{64}, but .*weights\.safetensors has SHA-256/,
    );
  });

  it('eval refuses a truncated ONNX file with ModelFormatError (exit 2), never a crash', async () => {
    const run = join(dir, 'tiny');
    const bytes = readFileSync(join(dir, 'tiny.onnx'));
    const cut = join(dir, 'cut.onnx');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const r = await cli('eval', cut, '--episodes', '1');
    expect(r.code).to.equal(2);
    expect(r.err).to.match(/truncated|not an ONNX model/);
    expect(existsSync(run)).to.equal(true);
  });
});
