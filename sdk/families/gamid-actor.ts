/**
 * The gamid-actor family: deterministic actors scored by a critic. `gmmrl train gamid` (Gamid-PG)
 * trains C of them; `gmmrl train td3` trains one (C = 1): TD3's checkpoints and ONNX files are
 * this family, and the registry finds it by the alias `td3` (contract/families.ts). Stored with
 * both critics; the ONNX graph holds the component actors and the first critic.
 *
 * Checkpoints models/actor-critic/checkpoint.ts, export exporters/onnx/gamid-actor.ts, parity
 * sdk/parity-actor.ts, benchmark model D = 3 (Pendulum-v1), C = 5 actor MLPs 2 × 256, critic Q₁
 * 2 × 256, A = 1.
 */
import { FAMILY, FAMILY_CONTRACTS } from '../../contract/families.js';
import { Rng } from '../../contract/rng.js';
import { exportGamidActor, gamidActorMetadata } from '../../exporters/onnx/gamid-actor.js';
import { loadGamidActorCheckpoint, saveGamidActorCheckpoint, type GamidActorCheckpoint } from '../../models/actor-critic/checkpoint.js';
import type { GamidActorParams } from '../../models/gamid-actor/params.js';
import { BENCH_TRAINING, PENDULUM_OBS, pendulumLike, randomMlp, type BenchModel } from './bench.js';
import { actorExportOptions, checkpointExportMeta, type FamilyModule } from './family.js';

/** A Pendulum-sized Gamid actor: C component MLPs [3, …hidden, 1] and the critic [4, …hidden, 1]. */
export function gamidActorBenchParams(seed = 17, C = 5, hidden = [256, 256]): GamidActorParams {
  const rng = new Rng(seed);
  const actors = Array.from({ length: C }, () => randomMlp([3, ...hidden, 1], rng));
  const critic = randomMlp([4, ...hidden, 1], rng);
  return {
    actors,
    critic,
    obsOffset: new Float64Array(3),
    obsScale: Float64Array.from([1, 1, 8]),
    actionLow: Float64Array.from([-2]),
    actionHigh: Float64Array.from([2]),
    explorationStd: 0.1,
    epsilon: 0.05,
  };
}

const exportMeta = (ckpt: GamidActorCheckpoint) => checkpointExportMeta(ckpt, ckpt.actor.obsOffset.length);

export const gamidActorFamily = {
  id: FAMILY.gamidActor,
  contract: FAMILY_CONTRACTS[FAMILY.gamidActor],
  checkpoint: { save: saveGamidActorCheckpoint, load: loadGamidActorCheckpoint },
  metadata: (ckpt, o) => gamidActorMetadata(ckpt.actor, exportMeta(ckpt), actorExportOptions(o)),
  export: (ckpt, o) => exportGamidActor(ckpt.actor, exportMeta(ckpt), actorExportOptions(o)),
  describe: (ckpt) => `C=${ckpt.actor.actors.length}, layers ${ckpt.actor.actors[0]!.layers.join('-')}`,
  async verify(dir, onnx, options) {
    const { verifyGamidActorParity } = await import('../parity-actor.js');
    return verifyGamidActorParity(dir, onnx, options);
  },
  bench: {
    params: () => gamidActorBenchParams(),
    observations: pendulumLike,
    build(training: Record<string, unknown> = BENCH_TRAINING): BenchModel<typeof FAMILY.gamidActor, GamidActorParams> {
      const params = gamidActorBenchParams();
      const envId = 'Pendulum-v1';
      const bytes = exportGamidActor(params, { envId, observationSpace: PENDULUM_OBS, training });
      const family = FAMILY.gamidActor;
      return {
        family,
        label: `Gamid actor D=3 C=${params.actors.length} × 2 × 256 (+ critic 2 × 256) A=1`,
        envId,
        obsSize: 3,
        actionSize: 1,
        bytes,
        spec: { family, params },
        observations: pendulumLike,
      };
    },
  },
} satisfies FamilyModule<typeof FAMILY.gamidActor, GamidActorCheckpoint, GamidActorParams>;
