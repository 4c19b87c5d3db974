/**
 * `gmmrl verify DIR FILE.onnx`: proves an ONNX file acts like the checkpoint it came from, greedy
 * and sampled, through the family registry (sdk/families/): the checkpoint's model_family picks
 * the module whose parity check runs. Prints a summary (verifySummary: one line per mode with its
 * verdict, largest differences and deciding rule, then the verdict, on failure naming the first
 * failing output, state and entry), or with --json the full report; returns its verdict. The file must record the checkpoint as its source (metadata
 * source_checkpoint_sha256 = the checkpoint's weights SHA-256) whatever the tolerance; --states ≥ 3,
 * --seed in [0, 2³² − 2] and --rtol > 0 (finite) or exit 2 naming the flag.
 */
import { ValueError } from '../../contract/errors.js';
import { BACKEND_NAMES, type BackendName } from '../backend.js';
import { checkpointModule } from '../checkpoints.js';
import type { FamilyParityReport } from '../families/family.js';
import type { ParityReport } from '../parity.js';
import type { ActorParityReport } from '../parity-actor.js';
import { checkPositionals, formatHelp, parseArgs, requirePositional, type FlagSpecs } from './args.js';

type Out = (line: string) => void;

export const VERIFY_FLAGS: FlagSpecs = {
  states: { type: 'int', help: 'number of states to compare', default: 3000 },
  seed: { type: 'int', help: 'seed for the state draws (the sampling noise uses seed + 1)', default: 0 },
  rtol: { type: 'number', help: 'Q models: relative tolerance on q where |q| > 1e-3 (> 0)', default: 1e-5 },
  backend: { type: 'string', help: 'TensorFlow.js backend', default: 'auto', choices: BACKEND_NAMES },
  json: { type: 'boolean', help: 'print the full report as JSON instead of the summary', default: false },
  help: { type: 'boolean', help: 'show this help' },
};

/** Runs `gmmrl verify`; true when the file passes (and for --help). */
export async function verifyCommand(argv: string[], out: Out): Promise<boolean> {
  const report = await runVerify(argv, out);
  return report === undefined || report.pass;
}

/**
 * Parses the flags of `gmmrl verify` and runs the check; prints the summary (or with --json the
 * report) when `print`, and returns the report (undefined for --help). `gmmrl demo` calls it
 * with print false: it writes the report to a file and prints the summary itself.
 */
export async function runVerify(argv: string[], out: Out, print = true): Promise<FamilyParityReport | undefined> {
  const { positionals, flags } = parseArgs('verify', argv, VERIFY_FLAGS);
  if (flags.help) {
    out(formatHelp('gmmrl verify DIR FILE.onnx [--states N] [--json]', VERIFY_FLAGS));
    return undefined;
  }
  checkPositionals('verify', positionals, 2);
  const usage = 'gmmrl verify runs/NAME policy.onnx';
  const dir = requirePositional('verify', positionals, 0, 'the checkpoint directory', usage);
  const file = requirePositional('verify', positionals, 1, 'the .onnx file', usage);
  const states = flags.states as number;
  const seed = flags.seed as number;
  const rtol = flags.rtol as number;
  if (!(states >= 3))
    throw new ValueError(
      `gmmrl verify: --states ${states} is too few; pass an integer ≥ 3 (default 3000, split over three kinds of states).`,
    );
  if (!(seed >= 0 && seed <= 2 ** 32 - 2))
    throw new ValueError(`gmmrl verify: --seed ${seed} is outside [0, 2³² − 2]; pass e.g. --seed 0.`);
  // parseArgs has already refused a non-finite number
  if (!(rtol > 0))
    throw new ValueError(`gmmrl verify: --rtol ${rtol} must be > 0 (a relative tolerance); pass e.g. --rtol 1e-5 (default).`);
  const opts = { states, seed, rtol, backend: flags.backend as BackendName, requireSource: true };
  const report = await checkpointModule(dir).verify(dir, file, opts);
  if (print) {
    if (flags.json) out(JSON.stringify(report, null, 2));
    else for (const line of verifySummary(report)) out(line);
  }
  return report;
}

const g = (x: number): string => (Number.isFinite(x) ? String(Number(x.toPrecision(3))) : String(x));
const verdict = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');

/**
 * The report in a few lines a person reads: one for the greedy mode and one for the sampled mode,
 * each with its verdict, its largest differences and the rule that decided, then the overall
 * verdict (with the first failure). A Q model's relative difference can exceed q_rtol and still
 * pass: where float32 cannot resolve q to q_rtol (terms that cancel), the float32 rounding bound
 * 2B decides, and the greedy line says so with the count of such entries.
 */
export function verifySummary(report: FamilyParityReport): string[] {
  const lines = 'family' in report ? actorLines(report) : qLines(report);
  lines.push(
    report.pass
      ? `verify: PASS on ${report.states.total} states (${report.states.rollout} rollout, ${report.states.uniform} uniform, ${report.states.far} far); the full report: --json`
      : `verify: FAIL: ${report.failure ?? 'see the report (--json)'}`,
  );
  return lines;
}

function qLines(r: ParityReport): string[] {
  const s = r.sampled;
  const sampledFailed = s !== undefined && s.checked && (s.mismatches ?? 0) > 0;
  const b = r.float32_bound;
  const greedyChecks =
    r.action_mismatches_outside_ties === 0 &&
    Number.isFinite(r.max_abs_diff.q) &&
    b.max_ratio_beyond_rtol <= 1 &&
    r.action_space_match !== false &&
    (r.action_grid?.mismatches ?? 0) === 0;
  // a failed report whose sampled mode passed failed on the greedy side (or a family check)
  const greedyOk = r.pass || (greedyChecks && sampledFailed);
  const t = r.tolerance;
  const rule =
    b.entries_beyond_rtol === 0
      ? `every q entry within q_rtol ${g(t.q_rtol)} where |q| > ${g(t.q_floor)}`
      : t.q_rtol > 0
        ? `${b.entries_beyond_rtol} ${b.entries_beyond_rtol === 1 ? 'entry' : 'entries'} beyond q_rtol ${g(t.q_rtol)} ${b.entries_beyond_rtol === 1 ? 'is' : 'are'} judged by the float32 rounding bound instead (float32 cannot resolve q to ${g(t.q_rtol)} where its terms cancel, condition up to ${g(b.max_condition)}): |Δq| ≤ 2B, the largest at ${g(b.max_ratio_beyond_rtol)} of 2B`
        : `every q entry judged by the float32 rounding bound |Δq| ≤ 2B, the largest at ${g(b.max_ratio_beyond_rtol)} of 2B`;
  const n = r.states.total;
  const greedy =
    `greedy:  ${verdict(greedyOk)}. q max |Δ| ${g(r.max_abs_diff.q)}, max relative ${g(r.max_rel_diff.q)}; ${rule}; ` +
    `actions identical on ${Math.round(r.action_agreement * n)}/${n} states (${r.ties} ties, ${r.action_mismatches_outside_ties} mismatches outside ties)` +
    (r.action_grid ? `; grid rows ${r.action_grid.rows_checked - r.action_grid.mismatches}/${r.action_grid.rows_checked} exact` : '');
  const sampled =
    s === undefined || !s.checked
      ? `sampled: not checked (${s?.reason ?? 'no sampled mode'})`
      : `sampled: ${verdict(!sampledFailed)}. ε-greedy action_sampled with identical noise (ε ${g(s.epsilon ?? NaN)}): ` +
        `${s.rows} rows, ${s.explored} explored, ${s.mismatches} mismatches (${s.boundary_ties} at a sampling boundary, where either side is correct); rule: identical actions`;
  return [greedy, sampled];
}

function actorLines(r: ActorParityReport): string[] {
  const c = r.components;
  const ratios = Object.entries(r.max_ratio_to_bound);
  const part = (sampled: boolean): string =>
    ratios
      .filter(([k]) => k.includes('sampled') === sampled)
      .map(([k, v]) => `${k} ${g(v)}`)
      .join(', ') || 'none';
  const within = (sampled: boolean): boolean => ratios.filter(([k]) => k.includes('sampled') === sampled).every(([, v]) => v <= 1);
  const greedyOk = within(false) && c.greedy_mismatches === 0 && r.metadata_match && (r.pass || !within(true) || c.sampled_mismatches > 0);
  const greedy =
    `greedy:  ${verdict(greedyOk)}. max |Δ|/B per output (≤ 1 passes; B = the rounding bound of the graph at ${r.precision}): ${part(false)}; ` +
    `greedy components identical except ${c.greedy_ties} ties (${c.greedy_mismatches} mismatches)`;
  const sampled =
    r.sampling_noise === 'in-graph'
      ? 'sampled: not checked (in-graph noise: action_sampled is not reproducible)'
      : `sampled: ${verdict(within(true) && c.sampled_mismatches === 0)}. with identical noise, max |Δ|/B: ${part(true)}; ` +
        `sampled components identical except ${c.sampled_ties} ties at a sampling boundary (${c.sampled_mismatches} mismatches)`;
  return [greedy, sampled];
}
