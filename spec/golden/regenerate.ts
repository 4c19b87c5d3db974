/**
 * Regenerates the golden models (spec/golden/<name>/: checkpoint/, model.onnx, io.json) from the
 * cases in cases.ts:  npm run golden   (= npm run build && node dist/spec/golden/regenerate.js)
 *
 * Run it only when a change is MEANT to change a model's outputs (and say why in the commit): the
 * golden spec exists to catch the changes that are not meant to.
 *
 *   node dist/spec/golden/regenerate.js --reexport [names]
 * re-exports the committed checkpoints instead of retraining (for a change to the file format alone,
 * e.g. a new metadata field): the checkpoint and the golden inputs stay as they are, the new
 * model.onnx must give the committed golden outputs exactly (else nothing is written), and io.json
 * changes in onnx_sha256 only.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveCheckpointDir } from '../../models/checkpoint-files.js';
import { loadPolicy } from '../../runtime/index.node.js';
import { GOLDEN_CASES } from './cases.js';
import {
  CHECKPOINT_FILES,
  exportCase,
  goldenInputs,
  goldenRoot,
  outputDistance,
  runGolden,
  sha256,
  trainCase,
  type GoldenIo,
} from './golden-io.js';

/** Re-exports the committed checkpoints; writes model.onnx and io.json's onnx_sha256 only when every golden output is unchanged. */
async function reexport(only: string[]): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'gmmrl-golden-'));
  try {
    for (const c of GOLDEN_CASES) {
      if (only.length > 0 && !only.includes(c.name)) continue;
      const dir = join(goldenRoot(), c.name);
      const io = JSON.parse(readFileSync(join(dir, 'io.json'), 'utf8')) as GoldenIo;
      const bytes = await exportCase(c, join(dir, 'checkpoint'), join(tmp, 'model.onnx'));
      const policy = await loadPolicy(bytes);
      try {
        const { mode, outputs } = await runGolden(policy, io.inputs);
        const d = outputDistance(outputs, io.outputs);
        if (mode !== io.mode || d.max !== 0) throw new Error(`${c.name}: the re-exported model changes the golden outputs (${d.where}); retrain instead`);
      } finally {
        await policy.dispose();
      }
      copyFileSync(join(tmp, 'model.onnx'), join(dir, 'model.onnx'));
      writeFileSync(join(dir, 'io.json'), JSON.stringify({ ...io, onnx_sha256: sha256(bytes) }) + '\n');
      console.log(`re-exported ${dir}: model.onnx (${bytes.length} bytes), golden outputs identical, onnx_sha256 ${io.onnx_sha256} → ${sha256(bytes)}`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

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

const args = process.argv.slice(2);
if (args[0] === '--reexport') await reexport(args.slice(1));
else await regenerate(args);
