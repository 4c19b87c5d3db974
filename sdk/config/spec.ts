/**
 * Config specs: every algorithm declares each field of its config once, in a table — kind (and so
 * its TypeScript type), default or a rule computed from other fields, range, one-line doc, CLI
 * flag — and everything else is derived from that table:
 *
 *   defaultsOf(spec)            the exported *_DEFAULTS (frozen; rules evaluated at the defaults)
 *   resolveConfig(spec, given)  what a trainer runs with: unknown keys refused, `undefined` taken as
 *                               absent, defaults filled in, rules applied, everything validated
 *   validateConfig(spec, c)     the exported validate*Config
 *   sdk/config/flags.ts         the `gmmrl train <algorithm>` flags, their parsing and --help text
 *
 * Messages name the field, the value (describeValue: NaN and Infinity spelled out) and the valid
 * range. A CLI run validates with CLI naming, so the same message names the flag instead:
 * `sac config: warmupSteps = 5000 is out of range; expected an integer in [1, steps = 3000)` is
 * `gmmrl train sac: --warmup-steps 5000 is out of range; expected an integer in [1, --steps 3000)`.
 * Field kinds (int, number, choice, lists, schedules, …) are in sdk/config/fields.ts.
 */
import { InternalError, UnknownNameError, ValueError, describeValue } from '../../contract/errors.js';
import { nearestName } from '../../contract/names.js';

export { nearestName };

/** A config as the machinery sees it. */
export type ConfigRecord = Record<string, unknown>;

/** A default computed from other fields of the config (e.g. SAC's estimator from its policy). */
export interface Rule<T> {
  readonly rule: (c: ConfigRecord) => T | undefined;
  /** The rule in words, for --help and docs: "min(5000, steps/5)", "mrp for sgm, rp for sg and usgm". */
  readonly text: string;
}

/** A rule-computed default. `fn` sees every given value and plain default, and the rules declared before it. */
export function rule<T>(text: string, fn: (c: ConfigRecord) => T | undefined): Rule<T> {
  return { rule: fn, text };
}

function isRule(d: unknown): d is Rule<unknown> {
  return (
    typeof d === 'object' && d !== null && typeof (d as Rule<unknown>).rule === 'function' && typeof (d as Rule<unknown>).text === 'string'
  );
}

/** What a field's checks and the spec's cross-field checks see. */
export interface CheckContext {
  /** The config being checked. */
  readonly config: ConfigRecord;
  /** "sac config" (library) or "gmmrl train sac" (CLI). */
  readonly where: string;
  /** A field as messages name it: "steps" or "--steps". */
  name(key: string): string;
  /** A field with its value: "steps = 3000" or "--steps 3000". */
  ref(key: string): string;
  /** Throws the standard out-of-range error for `key`: "… key = value is out of range; expected …". */
  fail(key: string, expected: string): never;
}

/** What parsing a flag's text sees. */
export interface ParseContext {
  /** "gmmrl train gmmqf" */
  readonly where: string;
  /** "--action-grid" */
  readonly flag: string;
  /** The fields parsed so far (flags are converted in the spec's field order: env comes first). */
  readonly partial: ConfigRecord;
  /** The spec's default for a field, for parsers that depend on another field (the action grid on env). */
  defaultOf(key: string): unknown;
}

/**
 * One field of a config. `T` is its value type; `Opt` says whether it may be absent after
 * resolution (no default, or a rule that can give none: SAC's targetEntropy, an action grid).
 */
export interface Field<T = unknown, Opt extends boolean = boolean> {
  /** Kind name ('int', 'number', 'choice', …) for --help. */
  readonly kind: string;
  /** One line: the --help text and the library doc. */
  readonly doc: string;
  readonly optional: Opt;
  /** A value, a rule, or nothing (optional fields). */
  readonly default?: T | Rule<T>;
  /** Help text of the default when it is not a plain value to print (optional fields). */
  readonly defaultText?: string;
  /** CLI flag without dashes; undefined: the key in kebab-case; null: library-only. */
  readonly flag?: string | null;
  /** Allowed values of a choice (for --help and suggestions). */
  readonly choices?: readonly string[];
  /** The valid range for --help, when it does not depend on other fields ("[0, 1)", "a positive integer"). */
  readonly range?: string;
  /** null when `v` is a valid value; else the expected range, for the message. */
  check(v: unknown, x: CheckContext): string | null;
  /** The error class of a failed check: UnknownNameError for names (choices), else ValueError. */
  readonly unknownName?: boolean;
  /** CLI text → value; throws ValueError/UnknownNameError naming `ctx.flag`. */
  parse(text: string, ctx: ParseContext): T;
  /** Value → CLI text (help defaults, CLI messages); any value, valid or not. */
  format(v: unknown): string;
  /** Value → library message text (default describeValue); any value, valid or not. */
  describe?(v: unknown): string;
  /** Copy of a default value handed to a config (arrays), so configs never share one. */
  clone?(v: T): T;
}

/**
 * A field, a required field and a spec of any value type: the machinery handles every field alike,
 * and a field is invariant in its value type (it both takes and returns values), so `unknown`
 * would not accept a Field<number>.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyField = Field<any, boolean>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyRequiredField = Field<any, false>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySpec = ConfigSpec<any>;

/** The fields of a spec, in order (rules and flag parsing follow this order). */
export type Fields = Readonly<Record<string, AnyField>>;

type ValueOf<F> = F extends Field<infer T, boolean> ? T : never;
type RequiredKeys<F extends Fields> = { [K in keyof F]: F[K] extends AnyRequiredField ? K : never }[keyof F];
type OptionalKeys<F extends Fields> = Exclude<keyof F, RequiredKeys<F>>;

/** The config type a field table describes: required fields, and optional ones (`?`). */
export type ConfigOf<F extends Fields> = { -readonly [K in RequiredKeys<F>]: ValueOf<F[K]> } & {
  -readonly [K in OptionalKeys<F>]?: ValueOf<F[K]>;
};

/** A config spec: the field table and the checks that involve several fields. */
export interface ConfigSpec<C = ConfigRecord, F extends Fields = Fields> {
  /** The algorithm, as library messages name it: "sac" → "sac config: …". */
  readonly name: string;
  readonly fields: F;
  /** Checks across fields, run after every field passed its own (e.g. estimator vs policy). */
  readonly checks?: readonly ((c: C, x: CheckContext) => void)[];
}

/** Declares a spec (the type parameter ties `checks` to the config type). */
export function defineSpec<F extends Fields>(
  name: string,
  fields: F,
  checks: readonly ((c: ConfigOf<F>, x: CheckContext) => void)[] = [],
): ConfigSpec<ConfigOf<F>, F> {
  return { name, fields, checks };
}

/** How messages name fields: by config key (library, the default) or by CLI flag. */
export interface Naming {
  readonly where: string;
  readonly cli: boolean;
}

/** Library naming: "sac config: warmupSteps = …". */
function libraryNaming(spec: AnySpec): Naming {
  return { where: `${spec.name} config`, cli: false };
}

/** The CLI flag of a field (without dashes), or null for a library-only field. */
export function flagOf(key: string, field: AnyField): string | null {
  if (field.flag === null) return null;
  return field.flag ?? key.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);
}

function render(field: AnyField, v: unknown, cli: boolean): string {
  if (v === undefined) return 'undefined';
  return cli ? field.format(v) : (field.describe ?? describeValue)(v);
}

function context(spec: AnySpec, c: ConfigRecord, naming: Naming): CheckContext {
  const field = (key: string): AnyField => {
    const f = spec.fields[key];
    if (!f) throw new InternalError(`config spec ${spec.name}: a check names the field ${key}, which the spec does not have`);
    return f;
  };
  const name = (key: string): string => {
    const flag = naming.cli ? flagOf(key, field(key)) : null;
    return flag === null ? key : `--${flag}`;
  };
  const ref = (key: string): string => {
    const f = field(key);
    const cli = naming.cli && flagOf(key, f) !== null;
    return cli ? `${name(key)} ${render(f, c[key], true)}` : `${key} = ${render(f, c[key], false)}`;
  };
  return {
    config: c,
    where: naming.where,
    name,
    ref,
    fail(key, expected) {
      const f = field(key);
      const Cls = f.unknownName ? UnknownNameError : ValueError;
      const verb = f.unknownName ? 'is unknown' : 'is out of range';
      const v = c[key];
      const near = f.unknownName && typeof v === 'string' && f.choices ? nearestName(v, f.choices) : undefined;
      throw new Cls(`${naming.where}: ${ref(key)} ${verb}; expected ${expected}${near ? `; did you mean ${JSON.stringify(near)}?` : '.'}`);
    },
  };
}

/** Refuses keys that are not fields: UnknownNameError naming the key, the nearest field and every field. */
export function checkKeys(spec: AnySpec, given: object, naming: Naming = libraryNaming(spec)): void {
  const known = Object.keys(spec.fields);
  for (const key of Object.keys(given)) {
    if (Object.prototype.hasOwnProperty.call(spec.fields, key)) continue;
    const near = nearestName(key, known);
    throw new UnknownNameError(
      `${naming.where}: unknown field ${JSON.stringify(key)}${near ? `; did you mean ${JSON.stringify(near)}?` : '.'} Known fields: ${known.join(', ')}.`,
    );
  }
}

/**
 * Validates a complete config: unknown keys, every field's kind and range (in the table's order),
 * then the cross-field checks. Messages follow `naming` (library: field names; CLI: flags).
 */
export function validateConfig<C>(spec: ConfigSpec<C>, c: C, naming: Naming = libraryNaming(spec)): void {
  if (typeof c !== 'object' || c === null) throw new ValueError(`${naming.where}: expected a config object; got ${describeValue(c)}.`);
  checkKeys(spec, c, naming);
  const rec = c as ConfigRecord;
  const x = context(spec, rec, naming);
  for (const [key, field] of Object.entries(spec.fields)) {
    const v = rec[key];
    if (v === undefined && field.optional) continue;
    const expected = field.check(v, x);
    if (expected !== null) x.fail(key, expected);
  }
  for (const check of spec.checks ?? []) check(c, x);
}

/**
 * The config a trainer runs with: `given` (unknown keys refused; an `undefined` value counts as
 * absent), every other field's default, rules computed from the rest, all validated.
 */
export function resolveConfig<C>(spec: ConfigSpec<C>, given: object | undefined, naming: Naming = libraryNaming(spec)): C {
  if (given === undefined) given = {};
  if (typeof given !== 'object' || given === null || Array.isArray(given))
    throw new ValueError(`${naming.where}: expected a config object; got ${describeValue(given)}.`);
  checkKeys(spec, given, naming);
  const g = given as ConfigRecord;
  const values: ConfigRecord = {};
  const entries = Object.entries(spec.fields);
  for (const [key] of entries) if (g[key] !== undefined) values[key] = g[key];
  for (const [key, f] of entries) {
    if (values[key] !== undefined || f.default === undefined || isRule(f.default)) continue;
    values[key] = f.clone ? f.clone(f.default) : f.default;
  }
  for (const [key, f] of entries) {
    if (values[key] !== undefined || !isRule(f.default)) continue;
    const v = f.default.rule(values);
    if (v !== undefined) values[key] = v;
  }
  // keys in the table's order, so records (config.json, run.json) list them the same way every time
  const c: ConfigRecord = {};
  for (const [key] of entries) if (values[key] !== undefined) c[key] = values[key];
  validateConfig(spec, c as C, naming);
  return c as C;
}

/** The spec's defaults (rules evaluated at the other defaults), frozen with their arrays. */
export function defaultsOf<C>(spec: ConfigSpec<C>): C {
  const d = resolveConfig(spec, {}) as ConfigRecord;
  for (const v of Object.values(d)) if (Array.isArray(v)) Object.freeze(v);
  return Object.freeze(d) as C;
}

/** A field's default for --help: the value as a flag takes it, the rule in words, or the field's note. */
export function defaultText(field: AnyField): string | undefined {
  if (isRule(field.default)) return field.default.text;
  if (field.default !== undefined) return field.format(field.default);
  return field.defaultText;
}

/** The plain (non-rule) default of a field, for parsers that depend on another field. */
export function plainDefault(field: AnyField | undefined): unknown {
  return field && !isRule(field.default) ? field.default : undefined;
}
