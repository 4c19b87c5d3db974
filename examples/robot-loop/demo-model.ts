/**
 * Writes a demo policy for the robot loop without training one: the synthetic benchmark model of a
 * family (bench/models.ts: random weights shaped like trained ones), exported with gmmrl's exporter.
 *
 *   node dist/examples/robot-loop/demo-model.js [--family mixture-actor|gamid-actor|gmmqf|dqn] [--out policy.onnx]
 *
 * The actors are sized for Pendulum-v1 (the sim robot simulates it); the D = 4 Q models get the sim's
 * synthetic robot. A trained model is better: `gmmrl export runs/NAME --out policy.onnx`.
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { formatHelp, parseArgs } from '../../sdk/cli/args.js';
import { BENCH_FAMILIES, buildBenchModel, type BenchFamily } from '../../bench/models.js';

const FLAGS = {
  family: { type: 'string' as const, help: 'model family', choices: BENCH_FAMILIES, default: 'mixture-actor' },
  out: { type: 'string' as const, help: 'output file', default: 'policy.onnx' },
  help: { type: 'boolean' as const, help: 'print this help', default: false },
};

export function main(argv: string[] = process.argv.slice(2)): number {
  let flags;
  try {
    flags = parseArgs('robot-loop demo-model', argv, FLAGS).flags;
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  if (flags.help) {
    console.log(formatHelp('node dist/examples/robot-loop/demo-model.js [flags]', FLAGS));
    return 0;
  }
  const m = buildBenchModel(flags.family as BenchFamily);
  writeFileSync(flags.out as string, m.bytes);
  console.log(`wrote ${flags.out} (${m.label}, env ${m.envId}, ${m.bytes.length} bytes; synthetic weights)`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main();
