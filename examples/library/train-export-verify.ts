// node dist/examples/library/train-export-verify.js [ALGORITHM] [STEPS] [DIR]   (defaults: gmmqf 30000 runs/library)
import { assertParity, exportCheckpoint, saveCheckpoint, verifyCheckpoint } from 'gmmrl';
import { trainDqn, trainGamid, trainGmmQf, trainSac, trainSgmmqf, trainTd3 } from 'gmmrl';
import { make } from 'gmmrl/envs';
import { loadPolicy } from 'gmmrl/runtime'; // inference only: no TensorFlow.js in its import graph

const [algorithm = 'gmmqf', stepsArg = '30000', dir = 'runs/library'] = process.argv.slice(2);
const steps = Number(stepsArg);
const trainers = {
  gmmqf: () => trainGmmQf({ env: 'CartPole-v1', steps, seed: 0 }, { progress: console.log }),
  // every other trainer's result goes through the same three calls:
  sgmmqf: () => trainSgmmqf({ env: 'CartPole-v1', steps, seed: 0 }),
  dqn: () => trainDqn({ env: 'CartPole-v1', steps, seed: 0 }),
  sac: () => trainSac({ env: 'Pendulum-v1', steps, seed: 0 }),
  td3: () => trainTd3({ env: 'Pendulum-v1', steps, seed: 0 }),
  gamid: () => trainGamid({ env: 'Pendulum-v1', steps, seed: 0 }),
};
const train = trainers[algorithm as keyof typeof trainers];
if (train === undefined) {
  console.error(`unknown algorithm ${JSON.stringify(algorithm)}; pass one of ${Object.keys(trainers).join(', ')}`);
  process.exit(2);
}

const result = await train();
// a checkpoint directory (config.json, weights.safetensors): metadata and spaces come from the result
const saved = await saveCheckpoint(result, `${dir}/checkpoint`, { overwrite: true });
// gmmrl export's options: precision ('float32' | 'float64'), sampling ('inputs' | 'in-graph' | 'none'), epsilon
const onnx = await exportCheckpoint(saved, { out: `${dir}/policy.onnx` });
// gmmrl verify's check, greedy and sampled: resolves with the report (report.pass) …
const report = await verifyCheckpoint(saved, onnx);
// … or as one assertion for a test runner: rejects with a ParityError carrying verify's summary
await assertParity(saved, onnx);

// run the exported file with ONNX Runtime: one greedy episode
const policy = await loadPolicy(onnx);
const env = make(result.config.env);
let { obs } = env.reset({ seed: 1 });
let episodeReturn = 0;
for (let done = false; !done;) {
  const step = env.step(await policy.envAction(obs));
  episodeReturn += step.reward;
  obs = step.obs;
  done = step.terminated || step.truncated;
}
console.log(`${saved.algorithm} → ${saved.family} ${onnx}: parity ${report.pass ? 'PASS' : 'FAIL'}, one episode's return ${episodeReturn}`);
