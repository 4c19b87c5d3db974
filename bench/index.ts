/**
 * `npm run bench`: every benchmark, one after the other, in one process (ratios are measured side by
 * side). Currently: ONNX Runtime inference latency of an exported GMM-QF (bench/ort-latency.ts), then
 * the cost of one S-GMM-QF / batch GMM-QF training update, fused kernel vs TensorFlow.js ops, with
 * FLOP counts against this machine's arithmetic speed (bench/gmmqf-updates.ts).
 *
 *   npm run bench -- [--json] [--calls=N] [--batch=N] [--quick] [--updates=N] [--tf-updates=N] [--reps=N] [--ac-updates=N] [--out=DIR]
 *
 * Then one actor-critic update (SAC SG-RP, SGM-MRP, Gamid) per backend (bench/ac-updates.ts).
 *
 * Each flag goes to the benchmark that declares it (--json to both); a flag neither declares goes to
 * both, whose parsers refuse it with the list of known flags.
 */
import { main as ortLatency } from './ort-latency.js';
import { main as gmmqfUpdates, FLAGS as GMMQF_FLAGS } from './gmmqf-updates.js';
import { main as acUpdates, FLAGS as AC_FLAGS } from './ac-updates.js';

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

// The actor-critic bench takes its own flags (--ac-updates); --json and --quick reach it too.
const argv = process.argv.slice(2);
const acNames = new Set(Object.keys(AC_FLAGS));
const isAc = (tok: string) => acNames.has(tok.slice(2).split('=')[0]!) && tok.startsWith('--');
const acOnly = (tok: string) => isAc(tok) && !['json', 'quick', 'out'].includes(tok.slice(2).split('=')[0]!);
const { ort, gmmqf } = route(argv.filter((t) => !acOnly(t)));
await ortLatency(ort);
await gmmqfUpdates(gmmqf);
await acUpdates(argv.filter(isAc));
