#!/usr/bin/env node
/**
 * Refactor guard: trains every trainer with a fixed seed on a tiny budget through the CLI and prints
 * the SHA-256 of each weights.safetensors. A refactor that claims "behaviour unchanged" must leave
 * every hash equal (spec/refactor/fingerprints.spec.ts compares them with the recorded ones).
 *
 *   node scripts/fingerprint.mjs [--json] [--only NAME]
 *
 * Every flag that a default could influence is given explicitly, so a change of defaults (e.g. a
 * budget-dependent warm-up) does not change these runs.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FINGERPRINT_RUNS = {
  gmmqf: [
    'train',
    'gmmqf',
    '--env',
    'CartPole-v1',
    '--steps',
    '3000',
    '--components',
    '8',
    '--steps-per-iteration',
    '1000',
    '--seed',
    '3',
    '--backend',
    'wasm',
  ],
  sgmmqf: [
    'train',
    'sgmmqf',
    '--env',
    'CartPole-v1',
    '--steps',
    '1500',
    '--components',
    '8',
    '--warmup-steps',
    '500',
    '--eval-every',
    '500',
    '--eval-episodes',
    '2',
    '--seed',
    '3',
  ],
  dqn: [
    'train',
    'dqn',
    '--env',
    'CartPole-v1',
    '--steps',
    '1500',
    '--hidden',
    '16,16',
    '--warmup-steps',
    '500',
    '--eval-every',
    '500',
    '--eval-episodes',
    '2',
    '--seed',
    '3',
    '--backend',
    'wasm',
  ],
  'double-dqn-grid': [
    'train',
    'dqn',
    '--double',
    '--env',
    'Pendulum-v1',
    '--action-grid',
    '5',
    '--steps',
    '1200',
    '--hidden',
    '16',
    '--warmup-steps',
    '400',
    '--eval-every',
    '600',
    '--eval-episodes',
    '1',
    '--seed',
    '4',
    '--backend',
    'wasm',
  ],
  'sac-sgm': [
    'train',
    'sac',
    '--policy',
    'sgm',
    '--estimator',
    'mrp',
    '--components',
    '3',
    '--env',
    'Pendulum-v1',
    '--steps',
    '600',
    '--warmup-steps',
    '300',
    '--hidden',
    '16,16',
    '--batch-size',
    '32',
    '--eval-every',
    '300',
    '--eval-episodes',
    '1',
    '--final-episodes',
    '1',
    '--seed',
    '3',
    '--backend',
    'wasm',
  ],
  td3: [
    'train',
    'td3',
    '--env',
    'Pendulum-v1',
    '--steps',
    '600',
    '--warmup-steps',
    '300',
    '--hidden',
    '16,16',
    '--batch-size',
    '32',
    '--eval-every',
    '300',
    '--eval-episodes',
    '1',
    '--final-episodes',
    '1',
    '--seed',
    '3',
    '--backend',
    'wasm',
  ],
  gamid: [
    'train',
    'gamid',
    '--actors',
    '3',
    '--env',
    'Bandit1D-v0',
    '--steps',
    '600',
    '--warmup-steps',
    '300',
    '--hidden',
    '16,16',
    '--batch-size',
    '32',
    '--eval-every',
    '300',
    '--eval-episodes',
    '1',
    '--final-episodes',
    '1',
    '--seed',
    '3',
    '--backend',
    'wasm',
  ],
};

export async function fingerprint(name, cliMain) {
  const dir = mkdtempSync(join(tmpdir(), `gmmrl-fp-${name}-`));
  try {
    const lines = [];
    const code = await cliMain(
      [...FINGERPRINT_RUNS[name], '--quiet', '--out', join(dir, 'run')],
      (l) => lines.push(l),
      (l) => lines.push(l),
    );
    if (code !== 0) throw new Error(`${name}: exit ${code}\n${lines.join('\n')}`);
    // the best checkpoint of the run directory (run.json → checkpoints/N/best)
    const run = JSON.parse(readFileSync(join(dir, 'run', 'run.json'), 'utf8'));
    return createHash('sha256')
      .update(readFileSync(join(dir, 'run', run.best, 'weights.safetensors')))
      .digest('hex');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
  const { main } = await import('../dist/sdk/cli.js');
  const out = {};
  for (const name of Object.keys(FINGERPRINT_RUNS)) {
    if (only && name !== only) continue;
    const t0 = performance.now();
    out[name] = await fingerprint(name, main);
    if (!args.includes('--json')) console.log(`${name.padEnd(16)} ${out[name]}  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  if (args.includes('--json')) console.log(JSON.stringify(out, null, 2));
}
