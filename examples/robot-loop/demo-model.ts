/**
 * Writes a demo policy for the robot loop without training one: a model of each family with seeded
 * random weights shaped like trained ones (He-uniform hidden layers, SPD covariances, normalization
 * matching the observations the sim robot sends), exported with gmmrl's exporters. These are the
 * parameters of the inference benchmarks' models (bench/models.ts; the example's test checks they
 * agree), built here from the public `gmmrl` API:
 *
 *   node dist/examples/robot-loop/demo-model.js [--family mixture-actor|gamid-actor|gmmqf|dqn] [--out policy.onnx]
 *
 *   gmmqf          GMM-QF K = 50, D = 4, A = 3 (discrete)
 *   dqn            DQN MLP [4, 64, 64, 3], A = 3 (discrete)
 *   mixture-actor  mixture actor for Pendulum-v1: MLP 2 × 256, K = 5, A = 1, box [−2, 2]
 *   gamid-actor    Gamid actor for Pendulum-v1: C = 5 actor MLPs 2 × 256, critic 2 × 256, A = 1
 *
 * The actors are sized for Pendulum-v1 (the sim robot simulates it); the D = 4 Q models get the sim's
 * synthetic robot. A trained model is better: `gmmrl export runs/NAME --out policy.onnx`.
 */
import { writeFileSync } from 'node:fs';
import {
  LOG_STD_MAX,
  LOG_STD_MIN,
  Rng,
  ValueError,
  exportDqn,
  exportGamidActor,
  exportGmmQf,
  exportMixtureActor,
  headOutputSize,
  type DqnParams,
  type GamidActorParams,
  type GmmQfParams,
  type MixtureActorParams,
  type MlpParams,
} from 'gmmrl';
import { parseMainFlags, runAsScript } from './flags.js';

export const DEMO_FAMILIES = ['gmmqf', 'dqn', 'mixture-actor', 'gamid-actor'] as const;
export type DemoFamily = (typeof DEMO_FAMILIES)[number];

/** The parameters of a demo model, by family. */
export type DemoParams =
  | { family: 'gmmqf'; params: GmmQfParams }
  | { family: 'dqn'; params: DqnParams }
  | { family: 'mixture-actor'; params: MixtureActorParams }
  | { family: 'gamid-actor'; params: GamidActorParams };

/** A demo model: the exported ONNX bytes, a label, its environment and the parameters it was exported from. */
export interface DemoModel {
  family: DemoFamily;
  label: string;
  envId: string;
  bytes: Uint8Array;
  spec: DemoParams;
}

/** An MLP with He-uniform hidden layers and a Glorot-uniform output layer scaled by `outScale`; small random biases. */
function randomMlp(layers: readonly number[], rng: Rng, outScale = 1): MlpParams {
  const L = layers.length - 1;
  const weights: Float64Array[] = [];
  const biases: Float64Array[] = [];
  for (let l = 0; l < L; l++) {
    const nin = layers[l]!;
    const nout = layers[l + 1]!;
    const limit = l < L - 1 ? Math.sqrt(6 / nin) : outScale * Math.sqrt(6 / (nin + nout));
    weights.push(new Float64Array(nin * nout).map(() => limit * (2 * rng.uniform() - 1)));
    biases.push(new Float64Array(nout).map(() => 0.05 * rng.normal()));
  }
  return { layers: [...layers], weights, biases };
}

/** A GMM-QF shaped like a CartPole policy: means in the data range, SPD covariances C = B Bᵀ + 0.05 I. */
function gmmqfParams(K = 50, D = 4, A = 3, seed = 7): GmmQfParams {
  const rng = new Rng(seed);
  const means = new Float64Array(K * D).map(() => 1.5 * rng.normal());
  const covariances = new Float64Array(K * D * D);
  for (let k = 0; k < K; k++) {
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
  const scale = [2.4, 3, 0.21, 3];
  return { K, D, A, means, covariances, weights, obsOffset: new Float64Array(D), obsScale: Float64Array.from({ length: D }, (_, j) => scale[j % 4]!) };
}

function dqnParams(seed = 11): DqnParams {
  const m = randomMlp([4, 64, 64, 3], new Rng(seed));
  return { ...m, obsOffset: new Float64Array(4), obsScale: Float64Array.from([2.4, 3, 0.21, 3]) };
}

function mixtureActorParams(seed = 13, K = 5, hidden = [256, 256]): MixtureActorParams {
  const rng = new Rng(seed);
  const head = { K, A: 1, weights: 'learned' as const, logStdMin: LOG_STD_MIN, logStdMax: LOG_STD_MAX };
  // output layer ×3 so that the K logits differ by O(1) across states (the greedy component changes)
  const trunk = randomMlp([3, ...hidden, headOutputSize(head)], rng, 3);
  return { head, trunk, obsOffset: new Float64Array(3), obsScale: Float64Array.from([1, 1, 8]), actionLow: Float64Array.from([-2]), actionHigh: Float64Array.from([2]) };
}

function gamidActorParams(seed = 17, C = 5, hidden = [256, 256]): GamidActorParams {
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

const PENDULUM_OBS = { shape: [3], low: [-1, -1, -8], high: [1, 1, 8] };
const SYNTHETIC_4D = { shape: [4], low: [-Infinity, -Infinity, -Infinity, -Infinity], high: [Infinity, Infinity, Infinity, Infinity] };
const training = { note: 'synthetic parameters (examples/robot-loop/demo-model.ts)' };

/** Builds and exports the demo model of `family` (deterministic: the same bytes every time). */
export function buildDemoModel(family: DemoFamily): DemoModel {
  switch (family) {
    case 'gmmqf': {
      const params = gmmqfParams();
      const envId = 'synthetic-4d';
      const bytes = exportGmmQf(params, { envId, observationSpace: SYNTHETIC_4D, actionSpace: { kind: 'discrete', n: params.A }, training });
      return { family, label: `GMM-QF K=${params.K} D=${params.D} A=${params.A}`, envId, bytes, spec: { family, params } };
    }
    case 'dqn': {
      const params = dqnParams();
      const envId = 'synthetic-4d';
      const bytes = exportDqn(params, { envId, observationSpace: SYNTHETIC_4D, actionSpace: { kind: 'discrete', n: 3 }, training });
      return { family, label: `DQN [${params.layers.join(', ')}] (2 × 64)`, envId, bytes, spec: { family, params } };
    }
    case 'mixture-actor': {
      const params = mixtureActorParams();
      const envId = 'Pendulum-v1';
      const bytes = exportMixtureActor(params, { envId, observationSpace: PENDULUM_OBS, training });
      return { family, label: `mixture actor D=3 2 × 256 K=${params.head.K} A=1`, envId, bytes, spec: { family, params } };
    }
    case 'gamid-actor': {
      const params = gamidActorParams();
      const envId = 'Pendulum-v1';
      const bytes = exportGamidActor(params, { envId, observationSpace: PENDULUM_OBS, training });
      return { family, label: `Gamid actor D=3 C=${params.actors.length} × 2 × 256 (+ critic 2 × 256) A=1`, envId, bytes, spec: { family, params } };
    }
    default:
      throw new ValueError(`buildDemoModel: unknown family ${JSON.stringify(family)}; expected one of ${DEMO_FAMILIES.join(', ')}.`);
  }
}

const FLAGS = {
  family: { type: 'string' as const, help: 'model family', choices: DEMO_FAMILIES, default: 'mixture-actor' },
  out: { type: 'string' as const, help: 'output file', default: 'policy.onnx' },
  help: { type: 'boolean' as const, help: 'print this help', default: false },
};

export function main(argv: string[] = process.argv.slice(2)): number {
  const flags = parseMainFlags('robot-loop demo-model', 'node dist/examples/robot-loop/demo-model.js [flags]', argv, FLAGS);
  if (typeof flags === 'number') return flags;
  const m = buildDemoModel(flags.family as DemoFamily);
  writeFileSync(flags.out as string, m.bytes);
  console.log(`wrote ${flags.out} (${m.label}, env ${m.envId}, ${m.bytes.length} bytes; synthetic weights)`);
  return 0;
}

runAsScript(import.meta.url, main);
