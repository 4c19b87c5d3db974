/**
 * `npm run experiments`: lists the experiment scripts (each runs for minutes to an hour, so none runs
 * by default). Every script writes experiments/results/ and prints the command that reproduces it.
 */
const SCRIPTS = [
  [
    'node dist/experiments/gmmqf-cartpole.js [--seeds 0,1,2,3,4] [--steps 30000] [--jobs 2]',
    'batch GMM-QF, CartPole-v1 threshold over 5 seeds',
  ],
  ['node dist/experiments/qfunctions.js --suite sgmmqf-cartpole', 'S-GMM-QF K=50, CartPole-v1, 5 seeds'],
  ['node dist/experiments/qfunctions.js --suite acrobot', 'S-GMM-QF (850 parameters) vs DQN (17,795), Acrobot-v1'],
  ['node dist/experiments/qfunctions.js --suite sparsity', 'Acrobot-v1 sparsity sweep ρ × J'],
  ['node dist/experiments/qfunctions.js --suite classic', 'MountainCar-v0 and Pendulum-v1 (grid), S-GMM-QF vs DQN'],
  ['node dist/experiments/qfunctions.js --suite ksweep', 'number of Gaussians K, CartPole-v1'],
  ['node dist/experiments/qfunctions.js --suite ksweep-acrobot', 'number of Gaussians K, Acrobot-v1'],
  ['node dist/experiments/qfunctions.js --suite metric', 'batch GMM-QF: affine-invariant vs Bures-Wasserstein'],
  ['node dist/experiments/actor-critic.js --suite bandit1d', 'Bandit1D: Gamid (N=5), TD3, SG-RP, SGM-MRP, 10 seeds'],
  ['node dist/experiments/actor-critic.js --suite multimodal', 'random multimodal bandits: SG-RP vs SGM-MRP across entropy scales'],
  ['node dist/experiments/actor-critic.js --suite estimators', 'MRP vs HalfRP vs GumbelRP vs USGM-RP vs LR on the multimodal bandits'],
  ['node dist/experiments/actor-critic.js --suite pendulum', 'Pendulum-v1: SG-RP, SGM-MRP, Gamid, 3 seeds'],
  ['node dist/experiments/actor-critic.js --suite unshaped', 'unshaped MountainCar and sparse Pendulum: SG-RP vs SGM-MRP, 5 seeds'],
];
console.log('Experiments (see README "Results" for the figures they produced):');
for (const [cmd, what] of SCRIPTS) console.log(`  ${cmd}\n      ${what}`);
