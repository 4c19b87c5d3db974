/**
 * A config spec on the command line: one `gmmrl train <algorithm>` flag per field that has one
 * (the key in kebab-case unless the spec names another), converted to config values in the
 * spec's field order (so `--action-grid` is read against `--env`), and the --help rows with each
 * default or rule.
 */
import type { FlagSpecs, ParsedFlags } from '../cli/args.js';
import { defaultText, flagOf, plainDefault, resolveConfig, type ConfigRecord, type ConfigSpec, type Naming, type AnySpec } from './spec.js';

/** CLI naming: messages name flags ("gmmrl train sac: --warmup-steps 5000 is out of range …"). */
export function cliNaming(command: string): Naming {
  return { where: `gmmrl ${command}`, cli: true };
}

/** The flags of a spec, for parseArgs and formatHelp. Non-boolean values arrive as text; `specConfig` converts them. */
export function specFlags(spec: AnySpec): FlagSpecs {
  const flags: FlagSpecs = {};
  for (const [key, f] of Object.entries(spec.fields)) {
    const flag = flagOf(key, f);
    if (flag === null) continue;
    const d = defaultText(f);
    flags[flag] = {
      type: f.kind === 'boolean' ? 'boolean' : 'string',
      help: f.doc,
      ...(f.choices ? { choices: f.choices } : {}),
      ...(f.range !== undefined ? { range: f.range } : {}),
      ...(d !== undefined ? { defaultText: d } : {}),
    };
  }
  return flags;
}

/** The config fields given on the command line (only those: defaults and rules are the spec's), converted in field order. */
export function flagsToPartial(spec: AnySpec, flags: ParsedFlags, naming: Naming): ConfigRecord {
  const partial: ConfigRecord = {};
  for (const [key, f] of Object.entries(spec.fields)) {
    const flag = flagOf(key, f);
    const raw = flag === null ? undefined : flags[flag];
    if (raw === undefined) continue;
    partial[key] =
      f.kind === 'boolean'
        ? raw
        : f.parse(String(raw), { where: naming.where, flag: `--${flag}`, partial, defaultOf: (k) => plainDefault(spec.fields[k]) });
  }
  return partial;
}

/** The resolved config of a CLI run: the given flags, then the spec's defaults and rules, validated with flag names. */
export function specConfig<C>(spec: ConfigSpec<C>, flags: ParsedFlags, command: string): C {
  const naming = cliNaming(command);
  return resolveConfig(spec, flagsToPartial(spec, flags, naming), naming);
}
