/**
 * The DQN family (dqn): MLP Q-networks from `gmmrl train dqn` (DQN or, with --double, Double DQN),
 * the baseline the GMM-QF is compared with; discrete actions or a grid over a continuous box.
 *
 * Checkpoints models/dqn/checkpoint.ts, export exporters/onnx/dqn.ts, parity sdk/parity-dqn.ts,
 * benchmark model MLP [4, 64, 64, 3] (2 × 64 ReLU), A = 3 (discrete).
 */
import { FAMILY, FAMILY_CONTRACTS } from '../../contract/families.js';
import { Rng } from '../../contract/rng.js';
import { dqnMetadata, exportDqn, type DqnExportMeta } from '../../exporters/onnx/dqn.js';
import { loadDqnCheckpoint, saveDqnCheckpoint, type DqnCheckpoint } from '../../models/dqn/checkpoint.js';
import type { DqnParams } from '../../models/dqn/params.js';
import { BENCH_TRAINING, CARTPOLE_SCALE, SYNTHETIC_4D, cartpoleLike, randomMlp, type BenchModel } from './bench.js';
import { checkpointExportMeta, qExportOptions, spaceBounds, type FamilyModule } from './family.js';

/** A DQN [4, 64, 64, 3] with He-uniform hidden layers and CartPole's normalization. */
export function dqnBenchParams(seed = 11): DqnParams {
  const rng = new Rng(seed);
  const m = randomMlp([4, 64, 64, 3], rng);
  return { ...m, obsOffset: new Float64Array(4), obsScale: Float64Array.from(CARTPOLE_SCALE) };
}

/** The export metadata of a checkpoint: its environment (the action space: discrete, or the box its grid covers) and provenance. */
function exportMeta(ckpt: DqnCheckpoint): DqnExportMeta {
  const { params, config } = ckpt;
  return {
    ...checkpointExportMeta(ckpt, params.layers[0]!),
    actionSpace: params.actionGrid
      ? { kind: 'box', ...spaceBounds(config.action_space, 1) }
      : { kind: 'discrete', n: params.layers.at(-1)! },
  };
}

export const dqnFamily = {
  id: FAMILY.dqn,
  contract: FAMILY_CONTRACTS[FAMILY.dqn],
  checkpoint: { save: saveDqnCheckpoint, load: loadDqnCheckpoint },
  metadata: (ckpt, o) => dqnMetadata(ckpt.params, exportMeta(ckpt), qExportOptions(o, ckpt.config.training)),
  export: (ckpt, o) => exportDqn(ckpt.params, exportMeta(ckpt), qExportOptions(o, ckpt.config.training)),
  describe: (ckpt) => `layers ${ckpt.params.layers.join('-')}`,
  async verify(dir, onnx, options) {
    const { verifyDqnParity } = await import('../parity-dqn.js');
    return verifyDqnParity(dir, onnx, options);
  },
  bench: {
    params: () => dqnBenchParams(),
    observations: cartpoleLike,
    build(training: Record<string, unknown> = BENCH_TRAINING): BenchModel<typeof FAMILY.dqn, DqnParams> {
      const params = dqnBenchParams();
      const { envId, observationSpace } = SYNTHETIC_4D;
      const bytes = exportDqn(params, { envId, observationSpace, actionSpace: { kind: 'discrete', n: 3 }, training });
      const family = FAMILY.dqn;
      return {
        family,
        label: `DQN [${params.layers.join(', ')}] (2 × 64)`,
        envId,
        obsSize: 4,
        actionSize: 1,
        bytes,
        spec: { family, params },
        observations: cartpoleLike,
      };
    },
  },
} satisfies FamilyModule<typeof FAMILY.dqn, DqnCheckpoint, DqnParams>;
