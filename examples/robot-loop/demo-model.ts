/**
 * Writes a demo policy for the robot loop without training one: a model of each family with seeded
 * random weights shaped like trained ones (He-uniform hidden layers, SPD covariances, normalization
 * matching the observations the sim robot sends), exported with gmmrl's exporters. These are the
 * parameters of the inference benchmarks' models (bench/models.ts; the example's test checks they
 * agree), built here through the public `gmmrl` API (`benchModel`):
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
import { ValueError, benchModel, type DqnParams, type GamidActorParams, type GmmQfParams, type MixtureActorParams } from 'gmmrl';
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

const training = { note: 'synthetic parameters (examples/robot-loop/demo-model.ts)' };

/** Builds and exports the demo model of `family`: its benchmark model, noted as this script's (deterministic: the same bytes every time). */
export function buildDemoModel(family: DemoFamily): DemoModel {
  if (!DEMO_FAMILIES.includes(family)) {
    throw new ValueError(`buildDemoModel: unknown family ${JSON.stringify(family)}; expected one of ${DEMO_FAMILIES.join(', ')}.`);
  }
  const { label, envId, bytes, spec } = benchModel(family, training);
  return { family, label, envId, bytes, spec };
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
