/**
 * Parity for DQN exports: prove that an exported ONNX file acts like the DQN checkpoint it came from.
 * The same procedure and report as sdk/parity.ts (`verifyParity`, GMM-QF), with the tolerance
 * derived for the MLP:
 *
 * The checkpoint is evaluated with TensorFlow.js (`dqnQValuesTf`: the graph's op sequence, float32)
 * and the file with ONNX Runtime through `gmmrl/runtime` (`loadPolicy`), on three kinds of states:
 * rollouts in the checkpoint's environment (greedy with 20 % random actions), uniform draws within
 * the observation bounds (offset ± 4·scale where a bound is infinite or huge), and states far
 * outside the data (offset ± 10–30·scale per entry, random signs). The float64 reference is
 * reported alongside for information.
 *
 * Tolerance (stated, tested in spec/sdk/parity-dqn.spec.ts):
 * - q: |q_onnx − q_tfjs| ≤ 2·B for EVERY entry, B = the worst-case float32 error bound of the
 *   graph's op sequence (models/dqn/float32-bound.ts: u = 2⁻²⁴ per op, |δ(xW + b)| ≤
 *   γ_{n+2}(Σ|W||x| + |b|) + |W||δx|, ReLU 1-Lipschitz). Each engine is within B of the float64
 *   value, so two correct float32 engines are within 2B of each other, whatever their summation
 *   order; a wrong weight is not (a relative change of 1e-4 in one weight exceeds 2B, since B is
 *   ~(n+2)·6e-8 of the terms it touches). A relative tolerance alone would be wrong for an MLP:
 *   q can cancel (Σ|W||x| ≫ |q|) and near q = 0 no relative tolerance holds. `rtol` (default 0)
 *   additionally accepts entries with relative difference ≤ rtol where |q| > qFloor, as in
 *   verifyParity; with the default every entry is judged by the bound
 *   (`float32_bound.entries_beyond_rtol` counts them all).
 * - actions: identical greedy actions except ties: rows where the two chosen actions' TensorFlow.js
 *   q values differ by at most 2(B_a + B_b), the most two engines each within B can disagree by.
 * - `float32_bound.max_condition` reports κ = max (Σ|W||x| + |b|) / |q| at the output layer
 *   (float64, entries with |q| > qFloor): how much cancellation the states exercise.
 */
import { ShapeError, ValueError } from '../contract/errors.js';
import { loadPolicy } from '../runtime/index.node.js';
import { loadDqnCheckpoint, type DqnCheckpoint } from '../models/dqn/checkpoint.js';
import { dqnQValuesTf } from '../models/dqn/tf.js';
import { argmaxRows, dqnQValues } from '../models/dqn/reference.js';
import { dqnFloat32Bound } from '../models/dqn/float32-bound.js';
import { make } from './envs/index.js';
import { checkCheckpointEnv, checkSourceCheckpoint, readOnnxForVerify } from './families/checks.js';
import { selectBackend } from './backend.js';
import { epsilonGreedyParity } from './parity-sampling.js';
import { compareQ, drawParityStates, qParityReport, type ParityOptions, type ParityReport } from './parity.js';

/** Draws the verification states (float32 rows, [N, D]) for a DQN checkpoint: parity.ts's three kinds. */
export function dqnParityStates(
  ckpt: Pick<DqnCheckpoint, 'params' | 'config'>,
  n: number,
  seed: number,
): { obs: Float32Array; rollout: number; uniform: number; far: number } {
  const { params, config } = ckpt;
  const A = params.layers.at(-1)!;
  return drawParityStates({
    env: make(config.env_id),
    A,
    ...(params.actionGrid ? { grid: params.actionGrid } : {}),
    features: 'identity',
    offset: params.obsOffset,
    scale: params.obsScale,
    greedy: (o) => argmaxRows(dqnQValues(params, o, 1), 1, A)[0]!,
    n,
    seed,
  });
}

/**
 * Compares a DQN checkpoint (TensorFlow.js) with an exported ONNX file (ONNX Runtime). Options as
 * verifyParity: states (default 3000), seed (0), rtol (default 0 here: every entry judged by the
 * 2B bound), qFloor (1e-3, for the reported relative differences), backend.
 */
export async function verifyDqnParity(ckptDir: string, onnx: string | Uint8Array, opts: ParityOptions = {}): Promise<ParityReport> {
  const n = opts.states ?? 3000;
  if (!Number.isInteger(n) || n < 3) throw new ShapeError(`verify: states = ${n}; expected an integer ≥ 3 (default 3000).`);
  const rtol = opts.rtol ?? 0;
  if (!(rtol >= 0) || !Number.isFinite(rtol))
    throw new ValueError(`verify: rtol = ${rtol}; expected a finite number ≥ 0 (default 0 for dqn: the 2B bound alone).`);
  const floor = opts.qFloor ?? 1e-3;
  const backend = await selectBackend(opts.backend ?? 'auto');
  const ckpt = loadDqnCheckpoint(ckptDir);
  checkCheckpointEnv(ckpt.config, ckptDir);
  const { params } = ckpt;
  const A = params.layers.at(-1)!;
  const { obs, rollout, uniform, far } = dqnParityStates(ckpt, n, opts.seed ?? 0);
  const bytes = readOnnxForVerify(onnx);
  const policy = await loadPolicy(bytes);
  try {
    checkSourceCheckpoint(policy.info.metadata.source_checkpoint_sha256, ckpt.sha256, ckptDir, onnx, opts.requireSource ?? false);
    const qOrtRows = await policy.qBatch(obs);
    // Discrete: the graph's own action output. Grid: the runtime's grid API is not settled here, so
    // the graph's action_index (ArgMax of q, first index on ties) is recomputed from ONNX Runtime's q.
    const actOrt = params.actionGrid
      ? argmaxRows(Float32Array.from(qOrtRows.flatMap((r) => Array.from(r))), n, A)
      : ((await policy.actBatch(obs)) as Int32Array);
    const qTf = dqnQValuesTf(params, obs, n);
    const { bound, magnitude, q: q64 } = dqnFloat32Bound(params, obs, n);
    const c = compareQ(
      { n, A, qOrt: qOrtRows, qTf, q64, bound, magnitude, actOrt },
      { rtol, floor, boundJudgesSmallQ: true, ties: 'bound' },
    );
    return qParityReport(c, {
      states: { total: n, rollout, uniform, far },
      tolerance: {
        q_rtol: rtol,
        q_floor: floor,
        q_beyond_float32_resolution:
          '|Δq| ≤ 2·B on every entry (beyond q_rtol when it is > 0), B = worst-case float32 error bound of the DQN graph op sequence (models/dqn/float32-bound.ts)',
        actions: 'identical except ties: |q_a − q_b| ≤ 2·(B_a + B_b) in TensorFlow.js',
      },
      familyFields: {},
      familyPass: true,
      sampled: await epsilonGreedyParity(policy, obs, n, (opts.seed ?? 0) + 1),
      backend: backend.name,
      executionProvider: policy.info.executionProvider,
    });
  } finally {
    await policy.dispose();
  }
}
