/**
 * The mixture-actor family: SAC's squashed Gaussian (mixture) policies from `gmmrl train sac`
 * (--policy sg: K = 1; sgm: K learned weights; usgm: K uniform weights), stored with both critics.
 *
 * Checkpoints models/actor-critic/checkpoint.ts, export exporters/onnx/mixture-actor.ts, parity
 * sdk/parity-actor.ts, benchmark model D = 3 (Pendulum-v1), MLP 2 × 256, K = 5, A = 1, box [−2, 2].
 */
import { FAMILY, FAMILY_CONTRACTS } from '../../contract/families.js';
import { Rng } from '../../contract/rng.js';
import { exportMixtureActor, mixtureActorMetadata } from '../../exporters/onnx/mixture-actor.js';
import {
  loadMixtureActorCheckpoint,
  saveMixtureActorCheckpoint,
  type MixtureActorCheckpoint,
} from '../../models/actor-critic/checkpoint.js';
import { headOutputSize, LOG_STD_MAX, LOG_STD_MIN } from '../../models/mixture-actor/head.js';
import type { MixtureActorParams } from '../../models/mixture-actor/params.js';
import { BENCH_TRAINING, PENDULUM_OBS, pendulumLike, randomMlp, type BenchModel } from './bench.js';
import { actorExportOptions, checkpointExportMeta, type FamilyModule } from './family.js';

/** A Pendulum-sized mixture actor (D = 3, A = 1) whose K logits differ by O(1) across states. */
export function mixtureActorBenchParams(seed = 13, K = 5, hidden = [256, 256]): MixtureActorParams {
  const rng = new Rng(seed);
  const head = { K, A: 1, weights: 'learned' as const, logStdMin: LOG_STD_MIN, logStdMax: LOG_STD_MAX };
  // output layer ×3 so that the K logits differ by O(1) across states (the greedy component changes)
  const trunk = randomMlp([3, ...hidden, headOutputSize(head)], rng, 3);
  return {
    head,
    trunk,
    obsOffset: new Float64Array(3),
    obsScale: Float64Array.from([1, 1, 8]),
    actionLow: Float64Array.from([-2]),
    actionHigh: Float64Array.from([2]),
  };
}

const exportMeta = (ckpt: MixtureActorCheckpoint) => checkpointExportMeta(ckpt, ckpt.actor.obsOffset.length);

export const mixtureActorFamily = {
  id: FAMILY.mixtureActor,
  contract: FAMILY_CONTRACTS[FAMILY.mixtureActor],
  checkpoint: { save: saveMixtureActorCheckpoint, load: loadMixtureActorCheckpoint },
  metadata: (ckpt, o) => mixtureActorMetadata(ckpt.actor, exportMeta(ckpt), actorExportOptions(o)),
  export: (ckpt, o) => exportMixtureActor(ckpt.actor, exportMeta(ckpt), actorExportOptions(o)),
  describe: (ckpt) => `K=${ckpt.actor.head.K}, layers ${ckpt.actor.trunk.layers.join('-')}`,
  async verify(dir, onnx, options) {
    const { verifyMixtureActorParity } = await import('../parity-actor.js');
    return verifyMixtureActorParity(dir, onnx, options);
  },
  bench: {
    params: () => mixtureActorBenchParams(),
    observations: pendulumLike,
    build(training: Record<string, unknown> = BENCH_TRAINING): BenchModel<typeof FAMILY.mixtureActor, MixtureActorParams> {
      const params = mixtureActorBenchParams();
      const envId = 'Pendulum-v1';
      const bytes = exportMixtureActor(params, { envId, observationSpace: PENDULUM_OBS, training });
      const family = FAMILY.mixtureActor;
      return {
        family,
        label: `mixture actor D=3 2 × 256 K=${params.head.K} A=1`,
        envId,
        obsSize: 3,
        actionSize: 1,
        bytes,
        spec: { family, params },
        observations: pendulumLike,
      };
    },
  },
} satisfies FamilyModule<typeof FAMILY.mixtureActor, MixtureActorCheckpoint, MixtureActorParams>;
