/**
 * Regenerates the golden models (spec/golden/<name>/: checkpoint/, model.onnx, io.json) from the
 * cases in cases.ts:  npm run golden   (= npm run build && node dist/spec/golden/regenerate.js)
 *
 * Run it only when a change is MEANT to change a model's outputs (and say why in the commit): the
 * golden spec exists to catch the changes that are not meant to.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveCheckpointDir } from '../../models/checkpoint-files.js';
import { loadPolicy } from '../../runtime/index.node.js';
import { GOLDEN_CASES } from './cases.js';
import { CHECKPOINT_FILES, exportCase, goldenInputs, goldenRoot, runGolden, sha256, trainCase, type GoldenIo } from './golden-io.js';

async function regenerate(only: string[]): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'gmmrl-golden-'));
  const trained = new Map<string, string>();
  try {
    for (const c of GOLDEN_CASES) {
      if (only.length > 0 && !only.includes(c.name)) continue;
      const key = c.train.join(' ');
      let run = trained.get(key);
      if (!run) {
        run = join(tmp, `run-${trained.size}`);
        const t0 = performance.now();
        await trainCase(c, run);
        console.log(`trained ${c.name}: gmmrl train ${key} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
        trained.set(key, run);
      }
      const dir = join(goldenRoot(), c.name);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(join(dir, 'checkpoint'), { recursive: true });
      for (const f of CHECKPOINT_FILES) copyFileSync(join(resolveCheckpointDir(run), f), join(dir, 'checkpoint', f));
      const bytes = await exportCase(c, join(dir, 'checkpoint'), join(dir, 'model.onnx'));
      const policy = await loadPolicy(bytes);
      try {
        const inputs = goldenInputs(policy, c.states);
        const { mode, outputs } = await runGolden(policy, inputs);
        const cfg = JSON.parse(readFileSync(join(dir, 'checkpoint', 'config.json'), 'utf8')) as { weights_sha256: string };
        const io: GoldenIo = {
          name: c.name,
          family: c.family,
          train: c.train,
          export: c.export,
          precision: policy.info.metadata.precision ?? 'float32',
          mode,
          onnx_sha256: sha256(bytes),
          weights_sha256: cfg.weights_sha256,
          inputs,
          outputs,
        };
        writeFileSync(join(dir, 'io.json'), JSON.stringify(io) + '\n');
        console.log(`wrote ${dir}: model.onnx (${bytes.length} bytes), io.json (${c.states} states, ${Object.keys(outputs).length} outputs, mode ${mode})`);
      } finally {
        await policy.dispose();
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

await regenerate(process.argv.slice(2));
