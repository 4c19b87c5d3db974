/**
 * Small exporter-built models of every family and export variant, for the runtime's metadata
 * cross-checks (graph-checks.spec.ts), the observation specs (observations.spec.ts) and the fuzz
 * scripts (scripts/metadata-fuzz.mjs, scripts/observation-fuzz.mjs, which import the compiled
 * module). Unlike fixtures.ts these are the graphs gmmrl's exporters write (named after the family,
 * with its named constants), from seeded random parameters.
 */
import { exportDqn } from '../../exporters/onnx/dqn.js';
import { exportGamidActor } from '../../exporters/onnx/gamid-actor.js';
import { exportGmmQf } from '../../exporters/onnx/gmmqf.js';
import { exportMixtureActor } from '../../exporters/onnx/mixture-actor.js';
import { Rng } from '../../sdk/util/rng.js';
import { actorMeta, randomGamidActor, randomMixtureActor } from '../exporters/actor-fixtures.js';
import { metaFor, randomParams } from '../exporters/fixtures.js';
import { randomDqnParams, linearGrid, productGrid } from '../models/dqn/fixtures.js';
import { ACROBOT_HIGH, ACROBOT_LOW, acrobotParams } from '../models/gmmqf/fixtures.js';

export interface ExportedModel {
  name: string;
  family: 'gmmqf' | 'dqn' | 'mixture-actor' | 'gamid-actor';
  bytes: Uint8Array;
}

function dqnMeta(D: number, actionSpace: Parameters<typeof exportDqn>[1]['actionSpace']): Parameters<typeof exportDqn>[1] {
  return {
    envId: 'Test-v0',
    observationSpace: { shape: [D], low: new Array<number>(D).fill(-10), high: new Array<number>(D).fill(10) },
    actionSpace,
  };
}

/** Every family and export variant the cross-checks cover (seeded: the same bytes on every call). */
export function exportedModels(): ExportedModel[] {
  const out: ExportedModel[] = [];
  const add = (name: string, family: ExportedModel['family'], bytes: Uint8Array): void => void out.push({ name, family, bytes });

  const pq = randomParams(new Rng(501), 5, 3, 3);
  add('gmmqf', 'gmmqf', exportGmmQf(pq, metaFor(pq)));
  add('gmmqf float64, in-graph noise', 'gmmqf', exportGmmQf(pq, metaFor(pq), { precision: 'float64', sampling: 'in-graph', epsilon: 0.2 }));
  add('gmmqf greedy-only', 'gmmqf', exportGmmQf(pq, metaFor(pq), { sampling: 'none' }));

  const ps = randomParams(new Rng(502), 6, 3, 2);
  for (const k of [1, 4]) ps.weights.fill(0, k * 2, k * 2 + 2); // two all-zero weight rows: pruned at export
  add('sparse gmmqf (pruned)', 'gmmqf', exportGmmQf(ps, metaFor(ps, { sparsity: { factors: 2, rho: 0.01 } })));

  const pg = { ...randomParams(new Rng(503), 4, 3, 5), actionGrid: linearGrid(5, -2, 2) };
  add('gmmqf action grid', 'gmmqf', exportGmmQf(pg, metaFor(pg, { actionSpace: { kind: 'grid', n: 5 } }), { epsilon: 0.1 }));

  const pa = acrobotParams(new Rng(504), 4, 3);
  add(
    'gmmqf acrobot-angles',
    'gmmqf',
    exportGmmQf(pa, { envId: 'Acrobot-v1', observationSpace: { shape: [6], low: ACROBOT_LOW, high: ACROBOT_HIGH } }),
  );
  add(
    'gmmqf acrobot-angles float64',
    'gmmqf',
    exportGmmQf(
      pa,
      { envId: 'Acrobot-v1', observationSpace: { shape: [6], low: ACROBOT_LOW, high: ACROBOT_HIGH } },
      { precision: 'float64' },
    ),
  );

  const pd = randomDqnParams(new Rng(505), [4, 16, 16, 2]);
  add('dqn', 'dqn', exportDqn(pd, dqnMeta(4, { kind: 'discrete', n: 2 })));
  const pl = randomDqnParams(new Rng(506), [4, 2]);
  add('dqn without hidden layers', 'dqn', exportDqn(pl, dqnMeta(4, { kind: 'discrete', n: 2 }), { epsilon: 0 }));
  const pdg = randomDqnParams(new Rng(507), [3, 8, 9], { actionGrid: productGrid(3, -1, 1) });
  add(
    'double dqn grid (in-graph noise)',
    'dqn',
    exportDqn(
      pdg,
      { ...dqnMeta(3, { kind: 'box', shape: [2], low: [-1, -1], high: [1, 1] }), training: { algorithm: 'dqn', double: true } },
      { sampling: 'in-graph' },
    ),
  );

  const pm = randomMixtureActor(new Rng(508), { K: 3, A: 2, D: 3, hidden: [8, 8] });
  add('mixture-actor (sac)', 'mixture-actor', exportMixtureActor(pm, actorMeta(3, { training: { algorithm: 'sac' } })));
  const pu = randomMixtureActor(new Rng(509), { K: 2, A: 1, D: 3, hidden: [8], weights: 'uniform' });
  add('mixture-actor uniform weights float64', 'mixture-actor', exportMixtureActor(pu, actorMeta(3), { precision: 'float64' }));

  const pga = randomGamidActor(new Rng(510), { C: 3, A: 2, D: 3, hidden: [8], criticHidden: [8, 8] });
  add('gamid-actor', 'gamid-actor', exportGamidActor(pga, actorMeta(3)));
  const pt = randomGamidActor(new Rng(511), { C: 1, A: 1, D: 3, hidden: [8, 8], criticHidden: [8], epsilon: 0, explorationStd: 0.1 });
  add(
    'gamid-actor C = 1 (td3)',
    'gamid-actor',
    exportGamidActor(pt, actorMeta(3, { training: { algorithm: 'td3' } }), { sampling: 'in-graph' }),
  );
  return out;
}
