/**
 * The models of the inference benchmarks, one per family: each family's module in the registry
 * (sdk/families/<family>.ts, `bench`) builds it from seeded synthetic parameters and exports it
 * with gmmrl's own exporter (default options: float32, sampling head with noise inputs — the file
 * a user deploys). This is the hook the Chromium bench reuses (`buildBenchModel(family)` → ONNX
 * bytes and an observation pool; `floorModel(D)` → the Identity graph that measures ONNX
 * Runtime's own per-call cost). The models are built in Node (the registry reads checkpoints with
 * node:fs); the browser page receives the bytes.
 *
 *   gmmqf          GMM-QF K = 50, D = 4, A = 3 (discrete)                     bench/ort-latency's model
 *   dqn            DQN MLP [4, 64, 64, 3] (2 × 64 ReLU), A = 3 (discrete)
 *   mixture-actor  SAC mixture actor, D = 3 (Pendulum-v1), MLP 2 × 256, K = 5, A = 1, box [−2, 2]
 *   gamid-actor    Gamid actor, D = 3 (Pendulum-v1), C = 5 actor MLPs 2 × 256, critic Q₁ 2 × 256, A = 1
 *
 * The parameters are random but shaped like trained ones (He-uniform hidden layers, modest output
 * layers, SPD covariances, normalization matching the observation pool), so every branch of the
 * graph is exercised (mixture weights not degenerate, several argmax winners across the pool).
 */
import { ElemType, GraphBuilder, MODEL_FAMILIES, isModelFamily, type ModelFamily, ValueError, benchModel, type AnyBenchModel } from 'gmmrl';
export { randomMlp } from 'gmmrl';
export { gmmqfBenchParams, dqnBenchParams, mixtureActorBenchParams, gamidActorBenchParams } from 'gmmrl';

/** The families with a benchmark model: every family of the registry. */
export const BENCH_FAMILIES: readonly ModelFamily[] = MODEL_FAMILIES;
export type BenchFamily = ModelFamily;

/** A benchmark model; `spec` holds the family's float64 parameters (discriminated by `spec.family`). */
export type BenchModel = AnyBenchModel;
export type BenchParams = BenchModel['spec'];

/**
 * Builds and exports the benchmark model of `family`. Its envId is a synthetic id for the D = 4 Q
 * models (their A = 3 matches no gmmrl environment) and Pendulum-v1 for the actors (whose sizes are
 * Pendulum's, so the robot-loop example can simulate it).
 */
export function buildBenchModel(family: BenchFamily): BenchModel {
  if (!isModelFamily(family))
    throw new ValueError(`buildBenchModel: unknown family ${JSON.stringify(family)}; expected one of ${BENCH_FAMILIES.join(', ')}.`);
  return benchModel(family);
}

/**
 * The floor: a graph with one Identity node, input "obs" [N, D] float32 → output "action" [N, D].
 * session.run on it costs what ONNX Runtime's JS binding costs per call (argument checks, tensor
 * wrapping, the native call, output wrapping), with no arithmetic. Not a gmmrl model (no metadata):
 * run it with a raw InferenceSession.
 */
export function floorModel(D: number): Uint8Array {
  const g = new GraphBuilder('floor', 'Identity: the per-call cost of ONNX Runtime with no arithmetic');
  g.input('obs', ElemType.FLOAT, ['N', D]);
  g.output('action', ElemType.FLOAT, ['N', D]);
  g.node({ name: 'identity', opType: 'Identity', inputs: ['obs'], outputs: ['action'] });
  return g.build({ irVersion: 8, opsetVersion: 17, producerName: 'gmmrl-bench', producerVersion: '0' });
}
