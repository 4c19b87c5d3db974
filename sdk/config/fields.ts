/**
 * The field kinds of config specs (sdk/config/spec.ts): each knows its type, its range text, how a
 * CLI flag's text becomes a value and how a value is printed back.
 *
 *   int, number, boolean, string       scalars; ranges in interval notation ("[0, 1)", "(0, ∞)")
 *   choice                             one of a fixed set of names; anything else is an UnknownNameError
 *   intList                            layer widths: [256, 256], on the command line "256,256"
 *   autoOrNumber                       'auto' or a number (SAC's α)
 *   schedule                           a linear schedule "v0" or "v0:v1:fraction" (Gamid-PG's τ and ε)
 *   actionGrid                         a grid over a continuous action space ("5" or "-2,0,2" on the command line)
 *   optional(field)                    the same kind, allowed to be absent
 */
import { ValueError, UnknownNameError, describeValue } from '../../contract/errors.js';
import type { ActionGrid } from '../../models/gmmqf/params.js';
import { make } from '../envs/registry.js';
import { DEFAULT_ACTION_GRIDS, defaultActionGrid, parseActionGrid } from '../envs/discretize.js';
import { nearestName, type CheckContext, type Field, type ParseContext, type Rule } from './spec.js';
import { formatSchedule, parseSchedule, type LinearSchedule } from '../algorithms/schedule.js';

/** What every kind's options share. */
interface Common<T> {
  /** One line: the --help text and the library doc. */
  doc: string;
  default?: T | Rule<T>;
  /** CLI flag without dashes (default: the key in kebab-case); null: library-only. */
  flag?: string | null;
  /** The range text of error messages, when the kind's own would not say it well. */
  expected?: string | ((x: CheckContext) => string);
  /** An extra condition on the value (cross-field bounds, e.g. warmupSteps < steps). */
  also?: (v: T, x: CheckContext) => boolean;
  /** Help text of the default when it is not a value (optional fields). */
  defaultText?: string;
}

function expectedText<T>(o: Common<T>, own: string, x: CheckContext): string {
  return typeof o.expected === 'function' ? o.expected(x) : (o.expected ?? own);
}

function base<T>(
  kind: string,
  o: Common<T>,
  ok: (v: unknown) => v is T,
  own: string,
  rest: Pick<Field<T, false>, 'parse' | 'format'> & Partial<Field<T, false>>,
): Field<T, false> {
  const range = typeof o.expected === 'function' ? undefined : (o.expected ?? own);
  return {
    kind,
    doc: o.doc,
    optional: false,
    ...(range !== undefined && kind !== 'string' && kind !== 'boolean' ? { range } : {}),
    ...(o.default !== undefined ? { default: o.default } : {}),
    ...(o.flag !== undefined ? { flag: o.flag } : {}),
    ...(o.defaultText !== undefined ? { defaultText: o.defaultText } : {}),
    check: (v, x) => (ok(v) && (o.also ? o.also(v, x) : true) ? null : expectedText(o, own, x)),
    ...rest,
  };
}

/** The same field, allowed to be absent (no default, or a rule that may give none). */
export function optional<T>(f: Field<T, false>): Field<T, true> {
  return { ...f, optional: true };
}

// ---- numbers ---------------------------------------------------------------------------------

function parseInt_(text: string, ctx: ParseContext): number {
  const v = Number(text);
  if (!/^[+-]?\d+$/.test(text.trim()) || !Number.isSafeInteger(v))
    throw new ValueError(`${ctx.where}: ${ctx.flag} must be an integer; got ${JSON.stringify(text)}.`);
  return v;
}

/** An integer in [min, max] (safe integers only). */
export function int(o: Common<number> & { min?: number; max?: number }): Field<number, false> {
  const { min = -Number.MAX_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = o;
  const own =
    o.max !== undefined
      ? `an integer in [${min}, ${max}]`
      : min === 1
        ? 'a positive integer'
        : o.min !== undefined
          ? `an integer ≥ ${min}`
          : 'an integer';
  const ok = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;
  return base('int', o, ok, own, { parse: parseInt_, format: (v) => describeValue(v) });
}

/** Interval notation of a number's range: "[0, 1)", "(0, ∞)", "(0, ∞]". */
function interval(min: number, max: number, minOpen: boolean, maxOpen: boolean): string {
  const num = (v: number) => (v === Infinity ? '∞' : v === -Infinity ? '−∞' : String(v));
  return `${minOpen ? '(' : '['}${num(min)}, ${num(max)}${maxOpen ? ')' : ']'}`;
}

/**
 * A number in the interval from `min` to `max` (closed ends unless `gt`/`lt` name them open).
 * Finite unless `infinity` allows +∞ (a gradient clip of Infinity disables clipping). NaN never.
 */
export function number(
  o: Common<number> & { min?: number; max?: number; gt?: number; lt?: number; infinity?: boolean; example?: string },
): Field<number, false> {
  const lo = o.gt ?? o.min ?? -Infinity;
  const hi = o.lt ?? o.max ?? Infinity;
  const ok = (v: unknown): v is number =>
    typeof v === 'number' &&
    !Number.isNaN(v) &&
    (Number.isFinite(v) || (o.infinity === true && v === Infinity)) &&
    (o.gt !== undefined ? v > lo : v >= lo) &&
    (o.lt !== undefined ? v < hi : v <= hi);
  const own =
    (hi === Infinity && !o.infinity && o.gt === undefined && lo > -Infinity
      ? `a finite number ≥ ${lo}`
      : lo === -Infinity && hi === Infinity && !o.infinity
        ? 'a finite number'
        : interval(lo, hi, o.gt !== undefined || lo === -Infinity, o.lt !== undefined || (hi === Infinity && !o.infinity))) +
    (o.example ? `, e.g. ${o.example}` : '');
  return base('number', o, ok, own, {
    parse(text, ctx) {
      const v = Number(text);
      if (o.infinity && /^\+?(Infinity|inf)$/i.test(text.trim())) return Infinity;
      if (text.trim() === '' || !Number.isFinite(v))
        throw new ValueError(
          `${ctx.where}: ${ctx.flag} must be a finite number${o.infinity ? ' or Infinity' : ''}; got ${JSON.stringify(text)}.`,
        );
      return v;
    },
    format: (v) => describeValue(v),
  });
}

// ---- booleans, strings, names ------------------------------------------------------------------

/** true or false; on the command line `--flag`, `--flag true|false` or `--flag=true|false`. */
export function boolean(o: Common<boolean>): Field<boolean, false> {
  return base('boolean', o, (v): v is boolean => typeof v === 'boolean', 'true or false', {
    parse(text, ctx) {
      if (text === 'true' || text === 'false') return text === 'true';
      throw new ValueError(`${ctx.where}: ${ctx.flag} must be true or false; got ${JSON.stringify(text)}.`);
    },
    format: (v) => (typeof v === 'boolean' ? String(v) : describeValue(v)),
  });
}

/** A non-empty string (an environment id: `make` names the valid ones). */
export function string(o: Common<string>): Field<string, false> {
  return base('string', o, (v): v is string => typeof v === 'string' && v.length > 0, 'a non-empty string', {
    parse: (text) => text,
    format: (v) => (typeof v === 'string' ? v : describeValue(v)),
  });
}

/** One of `choices`; any other value is an UnknownNameError with the nearest choice suggested. */
export function choice<const C extends readonly string[]>(choices: C, o: Common<C[number]>): Field<C[number], false> {
  const ok = (v: unknown): v is C[number] => typeof v === 'string' && choices.includes(v);
  return {
    ...base('choice', o, ok, `one of ${choices.join(', ')}`, {
      parse(text, ctx) {
        if (ok(text)) return text;
        const near = nearestName(text, choices);
        throw new UnknownNameError(
          `${ctx.where}: ${ctx.flag} must be one of ${choices.join(', ')}; got ${JSON.stringify(text)}${near ? `; did you mean ${near}?` : '.'}`,
        );
      },
      format: (v) => (typeof v === 'string' ? v : describeValue(v)),
    }),
    range: undefined,
    choices,
    unknownName: true,
  };
}

// ---- lists, α, schedules, grids --------------------------------------------------------------

/**
 * Layer widths: an array of integers in [min, max], `minLength` to `maxLength` long; on the
 * command line comma-separated ("256,256"; "" is [] when minLength is 0).
 */
export function intList(
  o: Common<number[]> & { minLength: number; maxLength: number; min: number; max: number; example: string },
): Field<number[], false> {
  const ok = (v: unknown): v is number[] =>
    Array.isArray(v) &&
    v.length >= o.minLength &&
    v.length <= o.maxLength &&
    v.every((h) => typeof h === 'number' && Number.isSafeInteger(h) && h >= o.min && h <= o.max);
  const own = `${o.minLength > 0 ? 'at least one and ' : ''}at most ${o.maxLength} integers in [${o.min}, ${o.max}], e.g. [${o.example}]`;
  return base('list', o, ok, own, {
    parse(text, ctx) {
      if (o.minLength === 0 && text.trim() === '') return [];
      const widths = text.split(',').map((x) => Number(x.trim()));
      for (const [i, w] of widths.entries()) {
        if (!Number.isSafeInteger(w) || w < 1)
          throw new ValueError(
            `${ctx.where}: ${ctx.flag} ${JSON.stringify(text)}: entry ${i} is not a positive integer; use e.g. ${ctx.flag} ${o.example}.`,
          );
      }
      return widths;
    },
    format: (v) => (Array.isArray(v) ? v.join(',') : describeValue(v)),
    clone: (v) => [...(v as number[])],
    range: `${o.minLength > 0 ? '1 to' : 'at most'} ${o.maxLength} widths in [${o.min}, ${o.max}]`,
  });
}

/** 'auto' or a number ≥ `min` (SAC's entropy scale α). */
export function autoOrNumber(o: Common<number | 'auto'> & { min: number; example: string }): Field<number | 'auto', false> {
  const ok = (v: unknown): v is number | 'auto' => v === 'auto' || (typeof v === 'number' && Number.isFinite(v) && v >= o.min);
  return base('auto|number', o, ok, `"auto" or a number ≥ ${o.min} (e.g. ${o.example})`, {
    parse(text, ctx) {
      if (text === 'auto') return 'auto';
      const v = Number(text);
      if (text.trim() === '' || !Number.isFinite(v))
        throw new ValueError(
          `${ctx.where}: ${ctx.flag} ${JSON.stringify(text)}; expected "auto" or a number ≥ ${o.min}, e.g. ${ctx.flag} ${o.example}.`,
        );
      return v;
    },
    format: (v) => (v === 'auto' ? 'auto' : describeValue(v)),
  });
}

// The schedule type and its text form are the one Schedule of sdk/algorithms/schedule.ts.
export { parseSchedule, formatSchedule, type LinearSchedule } from '../algorithms/schedule.js';

function isSchedule(v: unknown): v is LinearSchedule {
  return (
    typeof v === 'object' && v !== null && ['start', 'end', 'fraction'].every((k) => typeof (v as Record<string, unknown>)[k] === 'number')
  );
}

/** A linear schedule with values in [0, max] and a fraction in (0, 1]. */
export function schedule(o: Common<LinearSchedule> & { max?: number; example: string }): Field<LinearSchedule, false> {
  const hi = o.max ?? Infinity;
  const ok = (v: unknown): v is LinearSchedule =>
    isSchedule(v) &&
    [v.start, v.end, v.fraction].every(Number.isFinite) &&
    v.start >= 0 &&
    v.end >= 0 &&
    v.start <= hi &&
    v.end <= hi &&
    v.fraction > 0 &&
    v.fraction <= 1;
  const own = `${hi === Infinity ? 'values ≥ 0' : `values in [0, ${hi}]`} and a fraction in (0, 1], e.g. ${o.example}`;
  const text = (v: unknown) => (isSchedule(v) ? formatSchedule(v) : describeValue(v));
  return base('schedule', o, ok, own, {
    parse: (t, ctx) => parseSchedule(t, `${ctx.where}: ${ctx.flag}`),
    format: text,
    describe: (v) => (isSchedule(v) ? describeValue(formatSchedule(v)) : describeValue(v)),
    clone: (v) => ({ ...(v as LinearSchedule) }),
  });
}

function isGrid(v: unknown): v is ActionGrid {
  if (typeof v !== 'object' || v === null) return false;
  const g = v as Record<string, unknown>;
  const arrayLike = (a: unknown) => Array.isArray(a) || (ArrayBuffer.isView(a) && !(a instanceof DataView));
  return Array.isArray(g['shape']) && arrayLike(g['values']) && arrayLike(g['low']) && arrayLike(g['high']);
}

/**
 * The documented default grid of a continuous-action environment (Pendulum-v1: torques
 * [-2, -1, 0, 1, 2], MountainCarContinuous-v0: forces [-1, 0, 1]); none for discrete
 * environments and Box environments without one.
 */
export function documentedActionGrid(envId: unknown): ActionGrid | undefined {
  if (typeof envId !== 'string' || !(envId in DEFAULT_ACTION_GRIDS)) return undefined;
  return defaultActionGrid(make(envId));
}

/**
 * A grid over a continuous (Box) action space: its points are the Q-function's actions. The
 * trainers check it against the environment; on the command line "N" (N evenly spaced points)
 * or "v1,v2,…" (explicit values), parsed against the `env` field's action space.
 */
export function actionGrid(o: Common<ActionGrid>): Field<ActionGrid, false> {
  const text = (v: unknown) => (isGrid(v) ? Array.from(v.values as ArrayLike<number>).join(',') : describeValue(v));
  return base('grid', o, isGrid, '{ shape, values, low, high } (an ActionGrid, e.g. from parseActionGrid)', {
    parse(t, ctx) {
      const envId = (ctx.partial['env'] ?? ctx.defaultOf('env')) as string;
      const env = make(envId);
      if (env.actionSpace.kind === 'discrete')
        throw new ValueError(`${ctx.where}: ${ctx.flag} ${t} given, but ${envId} has discrete actions; remove the flag.`);
      return parseActionGrid(t, env.actionSpace);
    },
    format: text,
    describe: (v) => (isGrid(v) ? `ActionGrid(shape [${v.shape.join(', ')}], values ${describeValue(v.values)})` : describeValue(v)),
    range: undefined,
  });
}
