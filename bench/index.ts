/**
 * `npm run bench`: every benchmark, one after the other, in one process (ratios are measured side by
 * side). Currently: ONNX Runtime inference latency of an exported GMM-QF (bench/ort-latency.ts), then
 * the cost of one S-GMM-QF / batch GMM-QF training update, fused kernel vs TensorFlow.js ops, with
 * FLOP counts against this machine's arithmetic speed (bench/gmmqf-updates.ts).
 *
 *   npm run bench -- [--json] [--calls=N] [--batch=N] [--quick] [--updates=N] [--tf-updates=N] [--reps=N] [--ac-updates=N] [--out=DIR]
 *
 * Then one actor-critic update (SAC SG-RP, SGM-MRP, Gamid) per backend (bench/ac-updates.ts), the
 * inference latency and throughput of every family on every runtime against TensorFlow.js and the
 * ONNX Runtime floor (bench/policy-latency.ts), and the robot loop at 1 kHz (bench/robot-loop.ts:
 * 60 s paced, 10⁶ actions for the memory check, 10 s per wait strategy; about 4 minutes).
 *
 * Last, what loading a model costs and how much of it is the integrity check (bench/model-load.ts).
 *
 *   npm run bench -- --only=policy-latency,robot-loop     (any subset of: ort-latency, gmmqf-updates,
 *                                                           ac-updates, policy-latency, robot-loop, model-load)
 *
 * policy-latency takes --calls, --batch, --big-batch, --budget, --families; robot-loop takes
 * --family, --rate, --duration, --rss-actions, --compare-waits, --wait; --json, --quick and --out
 * reach both (and --calls/--batch also reach ort-latency).
 *
 * Each flag goes to the benchmark that declares it (--json to both); a flag neither declares goes to
 * both, whose parsers refuse it with the list of known flags.
 */
import { main as ortLatency } from './ort-latency.js';
import { main as gmmqfUpdates, FLAGS as GMMQF_FLAGS } from './gmmqf-updates.js';
import { main as acUpdates, FLAGS as AC_FLAGS } from './ac-updates.js';
import { main as policyLatency, FLAGS as PL_FLAGS } from './policy-latency.js';
import { main as robotLoop, FLAGS as RL_FLAGS } from './robot-loop.js';
import { main as modelLoad } from './model-load.js';
import { ValueError } from 'gmmrl';

/** The flags bench/ort-latency.ts declares (name → takes a value). */
const ORT_FLAGS: Record<string, boolean> = { calls: true, batch: true, json: false };
const GMMQF: Record<string, boolean> = Object.fromEntries(Object.entries(GMMQF_FLAGS).map(([k, v]) => [k, v.type !== 'boolean']));

function route(argv: string[]): { ort: string[]; gmmqf: string[] } {
  const ort: string[] = [];
  const gmmqf: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    const name = tok.startsWith('--') ? tok.slice(2).split('=')[0]! : '';
    const takesValue = (ORT_FLAGS[name] ?? GMMQF[name] ?? false) && !tok.includes('=');
    const group = takesValue && i + 1 < argv.length ? [tok, argv[++i]!] : [tok];
    const inOrt = name in ORT_FLAGS;
    const inGmmqf = name in GMMQF;
    if (inOrt || !inGmmqf) ort.push(...group);
    if (inGmmqf || !inOrt) gmmqf.push(...group);
  }
  return { ort, gmmqf };
}

const BENCHES = ['ort-latency', 'gmmqf-updates', 'ac-updates', 'policy-latency', 'robot-loop', 'model-load'] as const;
const nameOf = (tok: string) => (tok.startsWith('--') ? tok.slice(2).split('=')[0]! : '');
/** The flags (with their values) among `argv` whose names are in `names`. */
function pick(argv: string[], names: Set<string>, takesValue: (n: string) => boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    const n = nameOf(tok);
    const group = takesValue(n) && !tok.includes('=') && i + 1 < argv.length ? [tok, argv[++i]!] : [tok];
    if (names.has(n)) out.push(...group);
  }
  return out;
}

let argv = process.argv.slice(2);
const onlyTok = argv.find((t) => nameOf(t) === 'only');
let only: Set<string> = new Set(BENCHES);
if (onlyTok !== undefined) {
  const i = argv.indexOf(onlyTok);
  const value = onlyTok.includes('=') ? onlyTok.split('=').slice(1).join('=') : argv[i + 1];
  argv = argv.filter((_, j) => j !== i && !(j === i + 1 && !onlyTok.includes('=')));
  only = new Set(
    (value ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );
  for (const b of only) {
    if (!(BENCHES as readonly string[]).includes(b))
      throw new ValueError(`bench: --only has ${JSON.stringify(b)}; expected a comma-separated subset of ${BENCHES.join(',')}.`);
  }
}
// policy-latency and robot-loop take their own flags; the shared --json/--quick/--out (and
// --calls/--batch for policy-latency) reach them too. Their other flags are kept from the others.
const shared = new Set(['json', 'quick', 'out']);
const plNames = new Set(Object.keys(PL_FLAGS));
const rlNames = new Set(Object.keys(RL_FLAGS));
const valued = (specs: Record<string, { type: string }>) => (n: string) => specs[n] !== undefined && specs[n]!.type !== 'boolean';
const plArgs = pick(argv, plNames, valued(PL_FLAGS));
const rlArgs = pick(argv, rlNames, valued(RL_FLAGS));
const newOnly = new Set([...plNames, ...rlNames].filter((n) => !shared.has(n) && !(n in ORT_FLAGS) && !(n in GMMQF)));
argv = argv.filter(
  (tok, i) =>
    !newOnly.has(nameOf(tok)) && !(i > 0 && newOnly.has(nameOf(argv[i - 1]!)) && !argv[i - 1]!.includes('=') && !tok.startsWith('--')),
);

// The actor-critic bench takes its own flags (--ac-updates); --json and --quick reach it too.
const acNames = new Set(Object.keys(AC_FLAGS));
const isAc = (tok: string) => acNames.has(tok.slice(2).split('=')[0]!) && tok.startsWith('--');
const acOnly = (tok: string) => isAc(tok) && !['json', 'quick', 'out'].includes(tok.slice(2).split('=')[0]!);
const { ort, gmmqf } = route(argv.filter((t) => !acOnly(t)));
if (only.has('ort-latency')) await ortLatency(ort);
if (only.has('gmmqf-updates')) await gmmqfUpdates(gmmqf);
if (only.has('ac-updates')) await acUpdates(argv.filter(isAc));
if (only.has('policy-latency')) await policyLatency(plArgs);
if (only.has('robot-loop')) await robotLoop(rlArgs);
// model-load takes --json, --quick and --out only
if (only.has('model-load')) await modelLoad(argv.filter((t) => shared.has(nameOf(t))));
