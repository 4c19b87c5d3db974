/**
 * Snapshots must not change a run: every fingerprint run of scripts/fingerprint.mjs, trained through
 * its TrainEntry with a snapshot consumer and a stop request that never fires, writes the weights
 * recorded in fingerprints.json (the runs without either).
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DQN_ENTRY, GMMQF_ENTRY, SGMMQF_ENTRY } from '../../sdk/cli/train-q.js';
import { GAMID_ENTRY, SAC_ENTRY, TD3_ENTRY } from '../../sdk/cli/train-actor-critic.js';
import type { AnyTrainEntry, TrainCommandHooks } from '../../sdk/cli/train.js';
import { parseArgs } from '../../sdk/cli/args.js';
import { specConfig, specFlags } from '../../sdk/config/flags.js';
import type { TrainControl, TrainingSnapshot } from '../../sdk/algorithms/snapshot.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const ENTRIES: Record<string, AnyTrainEntry> = {
  gmmqf: GMMQF_ENTRY,
  sgmmqf: SGMMQF_ENTRY,
  dqn: DQN_ENTRY,
  sac: SAC_ENTRY,
  td3: TD3_ENTRY,
  gamid: GAMID_ENTRY,
};

describe('refactor guard: the fingerprint runs with snapshots taken', function () {
  this.timeout(120_000);
  const recorded = JSON.parse(readFileSync(join(ROOT, 'spec', 'refactor', 'fingerprints.json'), 'utf8')) as Record<string, string>;

  for (const name of Object.keys(recorded)) {
    it(`${name}: the same weights with onSnapshot and stopRequested given`, async () => {
      const { FINGERPRINT_RUNS } = (await import(join(ROOT, 'scripts', 'fingerprint.mjs'))) as {
        FINGERPRINT_RUNS: Record<string, string[]>;
      };
      const [, algo, ...argv] = FINGERPRINT_RUNS[name]!;
      const entry = ENTRIES[algo!]!;
      const { flags } = parseArgs(`train ${algo}`, argv, {
        ...specFlags(entry.spec),
        ...entry.extraFlags,
        out: { type: 'string', help: '' },
        quiet: { type: 'boolean', help: '', default: false },
      });
      const cfg = specConfig(entry.spec, flags, `train ${algo}`);
      const snapshots: TrainingSnapshot[] = [];
      const hooks: TrainCommandHooks & TrainControl = {
        progress: () => {},
        onRow: () => {},
        onSnapshot: (s) => snapshots.push(s),
        stopRequested: () => false,
      };
      const r = await entry.train(cfg, hooks);
      const dir = mkdtempSync(join(tmpdir(), `gmmrl-fps-${name}-`));
      try {
        await entry.save(join(dir, 'run'), r, cfg, flags);
        const sha = createHash('sha256')
          .update(readFileSync(join(dir, 'run', 'weights.safetensors')))
          .digest('hex');
        expect(sha).to.equal(recorded[name]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      expect(snapshots.length).to.be.greaterThan(0);
      expect((r as { interrupted: boolean }).interrupted).to.equal(false);
    });
  }
});
