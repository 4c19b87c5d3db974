/**
 * A strict flag parser: every command declares its flags; unknown flags (with the nearest known
 * one suggested), a flag given twice, missing values and values of the wrong type are refused with
 * a message that names the flag, the value and the fix.
 *
 * Booleans: `--flag` alone is true; `--flag true|false` and `--flag=true|false` set it explicitly.
 */
import { UnknownNameError, ValueError } from '../../contract/errors.js';
import { nearestName } from '../config/spec.js';

export type FlagType = 'string' | 'int' | 'number' | 'boolean';

export interface FlagSpec {
  type: FlagType;
  help: string;
  default?: string | number | boolean;
  /** Help text of a default that is not filled in by the parser (a rule, or a spec's default applied later). */
  defaultText?: string;
  /** Allowed values for string flags. */
  choices?: readonly string[];
  /** The valid range, for the help text. */
  range?: string;
}

export type FlagSpecs = Record<string, FlagSpec>;
export type ParsedFlags = Record<string, string | number | boolean | undefined>;

/** Parses `argv` (after the command words) into positionals and typed flags. */
export function parseArgs(command: string, argv: string[], specs: FlagSpecs): { positionals: string[]; flags: ParsedFlags } {
  const flags: ParsedFlags = {};
  const given = new Map<string, string>();
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
      const known = Object.keys(specs);
      const near = nearestName(name, known);
      throw new UnknownNameError(
        `gmmrl ${command}: unknown flag --${name}${near ? `; did you mean --${near}?` : '.'} Known flags: ${known.map((k) => `--${k}`).join(', ')}. See 'gmmrl ${command} --help'.`,
      );
    }
    if (spec.type === 'boolean') {
      if (value === undefined && (argv[i + 1] === 'true' || argv[i + 1] === 'false')) value = argv[++i]!;
      if (value === undefined) value = 'true';
      else if (value !== 'true' && value !== 'false')
        throw new ValueError(`gmmrl ${command}: --${name} must be true or false; got ${JSON.stringify(value)}.`);
    } else if (value === undefined) {
      value = argv[++i];
      if (value === undefined || value.startsWith('--')) {
        throw new ValueError(`gmmrl ${command}: --${name} needs a value (${spec.help}).`);
      }
    }
    const before = given.get(name);
    if (before !== undefined) throw new ValueError(`gmmrl ${command}: --${name} is given twice (${before}, then ${value}); give it once.`);
    given.set(name, value);
    flags[name] = spec.type === 'boolean' ? value === 'true' : convert(command, name, spec, value);
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
        const near = nearestName(value, spec.choices);
        throw new UnknownNameError(
          `gmmrl ${command}: --${name} must be one of ${spec.choices.join(', ')}; got ${JSON.stringify(value)}${near ? `; did you mean ${near}?` : '.'}`,
        );
      }
      return value;
  }
}

/** Help text for a command's flags: one row per flag with its choices and default. */
export function formatHelp(usage: string, specs: FlagSpecs, notes: readonly string[] = []): string {
  const pad = Math.max(18, ...Object.keys(specs).map((n) => n.length));
  const rows = Object.entries(specs).map(([name, s]) => {
    const dt = s.default !== undefined ? String(s.default) : s.defaultText;
    const notes = [s.range, dt !== undefined ? `default ${dt}` : undefined].filter((x) => x !== undefined);
    const c = s.choices ? ` [${s.choices.join('|')}]` : '';
    return `  --${name.padEnd(pad)} ${s.help}${c}${notes.length ? ` (${notes.join('; ')})` : ''}`;
  });
  return `${usage}\n\n${rows.join('\n')}\n${notes.length ? `\n${notes.join('\n')}\n` : ''}`;
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
