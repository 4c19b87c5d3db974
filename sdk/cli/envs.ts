/**
 * `gmmrl envs [--json]`: every environment id with its action space (discrete with its number of
 * actions, or continuous with its dimension and bounds) and its observation size, so a user can
 * see which algorithms fit (sac, td3, gamid need continuous actions; gmmqf, sgmmqf and dqn take
 * discrete ones, and continuous ones through --action-grid).
 */
import { ValueError } from '../../contract/errors.js';
import { listEnvs, make } from '../envs/index.js';
import type { Space } from '../envs/index.js';
import { spaceToJson } from '../spaces-json.js';
import { formatHelp, parseArgs, type FlagSpecs } from './args.js';

const ENVS_FLAGS: FlagSpecs = {
  json: { type: 'boolean', help: 'print JSON [{ id, action_space, observation_size }]', default: false },
  help: { type: 'boolean', help: 'show this help' },
};

function actionText(space: Space): [string, string] {
  if (space.kind === 'discrete') return ['discrete', `${space.n} actions`];
  const lo = Array.from(space.low);
  const hi = Array.from(space.high);
  const uniform = lo.every((v) => v === lo[0]) && hi.every((v) => v === hi[0]);
  const bounds = uniform ? `[${lo[0]}, ${hi[0]}]` : lo.map((l, i) => `[${l}, ${hi[i]}]`).join(' × ');
  return ['continuous', `${lo.length}-dim ${bounds}`];
}

/** Runs `gmmrl envs`. */
export function envsCommand(argv: string[], out: (line: string) => void): void {
  const { positionals, flags } = parseArgs('envs', argv, ENVS_FLAGS);
  if (flags.help) {
    out(formatHelp('gmmrl envs [--json]', ENVS_FLAGS));
    return;
  }
  if (positionals.length > 0)
    throw new ValueError(`gmmrl envs: unexpected argument ${JSON.stringify(positionals[0])}. See 'gmmrl envs --help'.`);
  const rows = listEnvs().map((id) => {
    const env = make(id);
    return { id, action: env.actionSpace, obs: env.observationSpace.shape.reduce((a, b) => a * b, 1) };
  });
  if (flags.json) {
    out(
      JSON.stringify(
        rows.map((r) => ({ id: r.id, action_space: spaceToJson(r.action), observation_size: r.obs })),
        null,
        2,
      ),
    );
    return;
  }
  const cells = rows.map((r) => [r.id, ...actionText(r.action), `observation ${r.obs}`] as const);
  const w = [0, 1, 2].map((i) => Math.max(...cells.map((c) => c[i]!.length)));
  for (const c of cells) out(`${c[0].padEnd(w[0]!)}  ${c[1].padEnd(w[1]!)}  ${c[2].padEnd(w[2]!)}  ${c[3]}`);
  out('');
  out('discrete: gmmqf, sgmmqf, dqn. continuous: sac, td3, gamid; and gmmqf, sgmmqf, dqn through --action-grid.');
}
