/**
 * The robot loop's flag parser (controller, sim-robot, demo-model): every program declares its flags;
 * unknown flags, missing values and values of the wrong type are refused with a message that names
 * the flag, the value and the fix. The same rules as the gmmrl CLI's parser, kept here so that the
 * controller loads only gmmrl/runtime (the `gmmrl` entry would load TensorFlow.js too). Also the
 * programs' shared `main` plumbing: `parseMainFlags` (flag errors and --help) and `runAsScript`.
 */
import { pathToFileURL } from 'node:url';
import { UnknownNameError, ValueError } from 'gmmrl/runtime';

/** How a flag's value is read: text, an integer, a finite number, or a switch (--x, --x=true|false). */
export type FlagType = 'string' | 'int' | 'number' | 'boolean';

/** One flag: its type, help line, default and (string flags) allowed values. */
export interface FlagSpec {
  type: FlagType;
  help: string;
  default?: string | number | boolean;
  /** Allowed values for string flags. */
  choices?: readonly string[];
}

/** A program's flags by name (without the leading --). */
export type FlagSpecs = Record<string, FlagSpec>;
/** Parsed values by flag name (defaults filled in). */
export type ParsedFlags = Record<string, string | number | boolean | undefined>;

/** Parses `argv` (after the command words) into positionals and typed flags. */
export function parseArgs(command: string, argv: string[], specs: FlagSpecs): { positionals: string[]; flags: ParsedFlags } {
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
      const known = Object.keys(specs)
        .map((k) => `--${k}`)
        .join(', ');
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
 * parseArgs for a program's `main`: the parsed flags, or the exit code `main` returns at once — 2
 * after printing a flag error on stderr, 0 after printing the help (--help) on stdout.
 */
export function parseMainFlags(command: string, usage: string, argv: string[], specs: FlagSpecs): ParsedFlags | number {
  let flags: ParsedFlags;
  try {
    flags = parseArgs(command, argv, specs).flags;
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  if (flags.help) {
    console.log(formatHelp(usage, specs));
    return 0;
  }
  return flags;
}

/**
 * Runs `main` when the module at `moduleUrl` (its import.meta.url) is the script node was started
 * with: its exit code becomes the process's; a rejection is printed and exits 1.
 */
export function runAsScript(moduleUrl: string, main: () => number | Promise<number>): void {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  const failed = (err: unknown): void => {
    console.error(err);
    process.exitCode = 1;
  };
  let result: number | Promise<number>;
  try {
    result = main();
  } catch (err) {
    failed(err);
    return;
  }
  Promise.resolve(result).then((code) => {
    process.exitCode = code;
  }, failed);
}
