/**
 * A strict flag parser: every command declares its flags; unknown flags, missing values and values
 * of the wrong type are refused with a message that names the flag, the value and the fix.
 */
import { UnknownNameError, ValueError } from '../../contract/errors.js';

export type FlagType = 'string' | 'int' | 'number' | 'boolean';

export interface FlagSpec {
  type: FlagType;
  help: string;
  default?: string | number | boolean;
  /** Allowed values for string flags. */
  choices?: readonly string[];
}

export type FlagSpecs = Record<string, FlagSpec>;
export type ParsedFlags = Record<string, string | number | boolean | undefined>;

/** Parses `argv` (after the command words) into positionals and typed flags. */
export function parseArgs(
  command: string,
  argv: string[],
  specs: FlagSpecs,
): { positionals: string[]; flags: ParsedFlags } {
  const flags: ParsedFlags = {};
  const positionals: string[] = [];
  for (const [name, spec] of Object.entries(specs)) if (spec.default !== undefined) flags[name] = spec.default;
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    if (!tok.startsWith('--')) {
      positionals.push(tok);
      continue;
    }
    let name = tok.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const spec = specs[name];
    if (!spec) {
      const known = Object.keys(specs).map((k) => `--${k}`).join(', ');
      throw new UnknownNameError(`gmmrl ${command}: unknown flag --${name}. Known flags: ${known}. See 'gmmrl ${command} --help'.`);
    }
    if (spec.type === 'boolean') {
      if (value === undefined) flags[name] = true;
      else if (value === 'true' || value === 'false') flags[name] = value === 'true';
      else throw new ValueError(`gmmrl ${command}: --${name} must be true or false; got ${JSON.stringify(value)}.`);
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined || value.startsWith('--')) {
        throw new ValueError(`gmmrl ${command}: --${name} needs a value (${spec.help}).`);
      }
    }
    flags[name] = convert(command, name, spec, value);
  }
  return { positionals, flags };
}

function convert(command: string, name: string, spec: FlagSpec, value: string): string | number {
  switch (spec.type) {
    case 'int': {
      const v = Number(value);
      if (!/^[+-]?\d+$/.test(value.trim()) || !Number.isSafeInteger(v)) {
        throw new ValueError(`gmmrl ${command}: --${name} must be an integer; got ${JSON.stringify(value)}.`);
      }
      return v;
    }
    case 'number': {
      const v = Number(value);
      if (value.trim() === '' || !Number.isFinite(v)) {
        throw new ValueError(`gmmrl ${command}: --${name} must be a finite number; got ${JSON.stringify(value)}.`);
      }
      return v;
    }
    default:
      if (spec.choices && !spec.choices.includes(value)) {
        throw new ValueError(`gmmrl ${command}: --${name} must be one of ${spec.choices.join(', ')}; got ${JSON.stringify(value)}.`);
      }
      return value;
  }
}

/** Help text for a command's flags. */
export function formatHelp(usage: string, specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const d = s.default !== undefined ? ` (default ${s.default})` : '';
    const c = s.choices ? ` [${s.choices.join('|')}]` : '';
    return `  --${name.padEnd(18)} ${s.help}${c}${d}`;
  });
  return `${usage}\n\n${rows.join('\n')}\n`;
}

/**
 * `--hidden 256,256` → [256, 256]. `allowEmpty`: "" means no hidden layer (a linear model, DQN);
 * otherwise every entry must be a positive integer. Errors name the command, the flag and the entry.
 */
export function parseHidden(command: string, spec: string, opts: { allowEmpty?: boolean } = {}): number[] {
  if (opts.allowEmpty && spec.trim() === '') return [];
  const widths = spec.split(',').map((x) => Number(x.trim()));
  for (const [i, w] of widths.entries()) {
    if (!Number.isSafeInteger(w) || w < 1) throw new ValueError(`gmmrl ${command}: --hidden ${JSON.stringify(spec)}: entry ${i} is not a positive integer; use e.g. --hidden ${opts.allowEmpty ? '128,128' : '256,256'}.`);
  }
  return widths;
}

/** The string value of flag `name`, or undefined. */
export function stringFlag(flags: ParsedFlags, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

/** The value of the required string flag `name` (ValueError with an example otherwise). */
export function requireFlag(command: string, flags: ParsedFlags, name: string, example: string): string {
  const v = stringFlag(flags, name);
  if (!v) throw new ValueError(`gmmrl ${command}: --${name} is required, e.g. ${example}.`);
  return v;
}

/** Positional argument `index` (ValueError naming `what` and the usage otherwise). */
export function requirePositional(command: string, positionals: string[], index: number, what: string, example: string): string {
  const v = positionals[index];
  if (!v) throw new ValueError(`gmmrl ${command}: missing ${what}. Usage: ${example}.`);
  return v;
}

/** Refuses more than `max` positional arguments. */
export function checkPositionals(command: string, positionals: string[], max: number): void {
  if (positionals.length > max) {
    throw new ValueError(`gmmrl ${command}: unexpected argument ${JSON.stringify(positionals[max])}. See 'gmmrl ${command} --help'.`);
  }
}
