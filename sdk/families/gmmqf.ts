/**
 * The GMM-QF family (gmmqf): Gaussian-mixture Q-functions, dense (`gmmrl train gmmqf`, batch
 * policy iteration) or sparse (`gmmrl train sgmmqf`, S-GMM-QF: Hadamard-factored weights, whose
 * factors the checkpoint keeps and whose sparsity record the export writes).
 *
 * Checkpoints models/gmmqf/checkpoint.ts, export exporters/onnx/gmmqf.ts, parity sdk/parity.ts,
 * benchmark model K = 50, D = 4, A = 3 (discrete), the model bench/ort-latency.ts times.
 */
import { FAMILY, FAMILY_CONTRACTS } from '../../contract/families.js';
import { Rng } from '../../contract/rng.js';
import { exportGmmQf, gmmQfMetadata, type GmmQfExportMeta } from '../../exporters/onnx/gmmqf.js';
import { loadGmmQfCheckpoint, saveGmmQfCheckpoint, type GmmQfCheckpoint } from '../../models/gmmqf/checkpoint.js';
import type { GmmQfParams } from '../../models/gmmqf/params.js';
import { NONZERO_THRESHOLD } from '../../models/gmmqf/sparsity.js';
import { BENCH_TRAINING, CARTPOLE_SCALE, SYNTHETIC_4D, cartpoleLike, type BenchModel } from './bench.js';
import { checkpointExportMeta, qExportOptions, type FamilyModule } from './family.js';

/** A GMM-QF shaped like a CartPole policy: means in the data range, SPD covariances. */
export function gmmqfBenchParams(K = 50, D = 4, A = 3, seed = 7): GmmQfParams {
  const rng = new Rng(seed);
  const means = new Float64Array(K * D).map(() => 1.5 * rng.normal());
  const covariances = new Float64Array(K * D * D);
  for (let k = 0; k < K; k++) {
    // C = B Bᵀ + 0.05 I with B random: SPD, moderately conditioned
    const b = new Float64Array(D * D).map(() => 0.4 * rng.normal());
    for (let i = 0; i < D; i++) {
      for (let j = 0; j < D; j++) {
        let s = i === j ? 0.05 : 0;
        for (let t = 0; t < D; t++) s += b[i * D + t]! * b[j * D + t]!;
        covariances[k * D * D + i * D + j] = s;
      }
    }
  }
  const weights = new Float64Array(K * A).map(() => 5 * rng.normal());
  return {
    K,
    D,
    A,
    means,
    covariances,
    weights,
    obsOffset: new Float64Array(D),
    obsScale: Float64Array.from({ length: D }, (_, j) => CARTPOLE_SCALE[j % 4]!),
  };
}

/** The export metadata of a checkpoint: its environment, provenance, sparsity record (S-GMM-QF) and parameter count. */
function exportMeta(ckpt: GmmQfCheckpoint): GmmQfExportMeta {
  const training = ckpt.config.training;
  const pc = training['parameter_count'];
  return {
    ...checkpointExportMeta(ckpt, ckpt.params.D),
    ...(ckpt.factors
      ? {
          sparsity: {
            factors: ckpt.factors.J,
            rho: ckpt.factors.rho,
            threshold: Number(training['sparsityThreshold'] ?? NONZERO_THRESHOLD),
          },
        }
      : {}),
    ...(typeof pc === 'number' ? { parameterCount: pc } : {}),
  };
}

export const gmmqfFamily = {
  id: FAMILY.gmmqf,
  contract: FAMILY_CONTRACTS[FAMILY.gmmqf],
  checkpoint: { save: saveGmmQfCheckpoint, load: loadGmmQfCheckpoint },
  metadata: (ckpt, o) => gmmQfMetadata(ckpt.params, exportMeta(ckpt), qExportOptions(o, ckpt.config.training)),
  export: (ckpt, o) => exportGmmQf(ckpt.params, exportMeta(ckpt), qExportOptions(o, ckpt.config.training)),
  describe: (ckpt) => `K=${ckpt.params.K}, D=${ckpt.params.D}, A=${ckpt.params.A}`,
  async verify(dir, onnx, options) {
    const { verifyParity } = await import('../parity.js');
    return verifyParity(dir, onnx, options);
  },
  bench: {
    params: () => gmmqfBenchParams(),
    observations: cartpoleLike,
    build(training: Record<string, unknown> = BENCH_TRAINING): BenchModel<typeof FAMILY.gmmqf, GmmQfParams> {
      const params = gmmqfBenchParams();
      const { envId, observationSpace } = SYNTHETIC_4D;
      const bytes = exportGmmQf(params, { envId, observationSpace, actionSpace: { kind: 'discrete', n: params.A }, training });
      const family = FAMILY.gmmqf;
      return {
        family,
        label: `GMM-QF K=${params.K} D=${params.D} A=${params.A}`,
        envId,
        obsSize: params.D,
        actionSize: 1,
        bytes,
        spec: { family, params },
        observations: cartpoleLike,
      };
    },
  },
} satisfies FamilyModule<typeof FAMILY.gmmqf, GmmQfCheckpoint, GmmQfParams>;
