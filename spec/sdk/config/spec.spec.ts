/**
 * The config spec machinery (sdk/config): defaults, rules, validation and naming, the CLI flags
 * derived from a spec, and properties every algorithm's table must have.
 */
import { expect } from 'chai';
import { UnknownNameError, ValueError } from '../../../contract/errors.js';
import { checkKeys, defaultsOf, defineSpec, nearestName, resolveConfig, rule, validateConfig, flagOf } from '../../../sdk/config/spec.js';
import { autoOrNumber, boolean, choice, int, intList, number, optional, schedule, string } from '../../../sdk/config/fields.js';
import { cliNaming, flagsToPartial, specConfig, specFlags } from '../../../sdk/config/flags.js';
import { formatHelp, parseArgs } from '../../../sdk/cli/args.js';
import { GMMQF_DEFAULTS, GMMQF_SPEC } from '../../../sdk/algorithms/gmmqf.js';
import { SGMMQF_DEFAULTS, SGMMQF_SPEC } from '../../../sdk/algorithms/sgmmqf.js';
import { DQN_DEFAULTS, DQN_SPEC } from '../../../sdk/algorithms/dqn.js';
import { SAC_DEFAULTS, SAC_SPEC } from '../../../sdk/algorithms/sac.js';
import { TD3_DEFAULTS, TD3_SPEC } from '../../../sdk/algorithms/td3.js';
import { GAMID_DEFAULTS, GAMID_SPEC } from '../../../sdk/algorithms/gamid.js';
import { expectThrows } from '../../helpers.js';

const TOY = defineSpec(
  'toy',
  {
    env: string({ doc: 'environment id', default: 'CartPole-v1' }),
    steps: int({ doc: 'total steps', default: 1000, min: 1 }),
    warmupSteps: int({
      doc: 'warm-up',
      default: rule('min(100, steps/5)', (c) => Math.min(100, Math.floor((c['steps'] as number) / 5))),
      min: 1,
      also: (v, x) => v < (x.config['steps'] as number),
      expected: (x) => `an integer in [1, ${x.ref('steps')})`,
    }),
    rate: number({ doc: 'a rate', default: 0.5, gt: 0, lt: 1, flag: 'lr' }),
    mode: choice(['fast', 'slow'], { doc: 'mode', default: 'fast' }),
    hidden: intList({ doc: 'widths', default: [4, 4], minLength: 0, maxLength: 3, min: 1, max: 64, example: '4,4' }),
    secret: number({ doc: 'library-only', default: 2, flag: null }),
    alpha: autoOrNumber({ doc: 'α', default: 'auto', min: 0, example: '0.2' }),
    tau: schedule({ doc: 'τ', default: { start: 0.1, end: 0.1, fraction: 1 }, example: '0.1' }),
    loud: boolean({ doc: 'loud', default: false }),
    limit: optional(int({ doc: 'a limit', min: 1, defaultText: 'none' })),
  },
  [
    (c, x) => {
      if (c.mode === 'slow' && c.rate > 0.9) x.fail('rate', `below 0.9 with ${x.ref('mode')}`);
    },
  ],
);

describe('sdk/config: config specs', () => {
  describe('resolveConfig', () => {
    it('fills defaults in table order, applies rules after the given values, and treats undefined as absent', () => {
      const c = resolveConfig(TOY, { steps: 200, mode: undefined });
      expect(Object.keys(c)).to.deep.equal(['env', 'steps', 'warmupSteps', 'rate', 'mode', 'hidden', 'secret', 'alpha', 'tau', 'loud']);
      expect(c).to.include({ steps: 200, warmupSteps: 40, mode: 'fast' });
      expect(resolveConfig(TOY, { steps: 200, warmupSteps: 150 }).warmupSteps).to.equal(150);
    });

    it('hands out copies of array and schedule defaults; the defaults object is frozen', () => {
      const d = defaultsOf(TOY);
      expect(Object.isFrozen(d)).to.equal(true);
      expect(Object.isFrozen(d.hidden)).to.equal(true);
      const a = resolveConfig(TOY, {});
      a.hidden.push(8);
      a.tau.start = 9;
      expect(resolveConfig(TOY, {}).hidden).to.deep.equal([4, 4]);
      expect(resolveConfig(TOY, {}).tau.start).to.equal(0.1);
    });

    it('refuses unknown keys with the nearest field and the known ones', () => {
      expectThrows(
        () => resolveConfig(TOY, { stpes: 3 }),
        UnknownNameError,
        /toy config: unknown field "stpes"; did you mean "steps"\? Known fields: env, steps, warmupSteps/,
      );
      expectThrows(() => checkKeys(TOY, { zzz: 1 }), UnknownNameError, /unknown field "zzz"\. Known fields/);
    });

    it('refuses a config that is not an object', () => {
      expectThrows(() => resolveConfig(TOY, 3 as never), ValueError, /toy config: expected a config object; got 3/);
      expectThrows(() => resolveConfig(TOY, [] as never), ValueError, /expected a config object/);
    });
  });

  describe('validation messages', () => {
    it('name the field, show the value with describeValue (NaN, Infinity) and the range', () => {
      expectThrows(() => resolveConfig(TOY, { rate: NaN }), ValueError, /toy config: rate = NaN is out of range; expected \(0, 1\)\./);
      expectThrows(
        () => resolveConfig(TOY, { steps: Infinity }),
        ValueError,
        /steps = Infinity is out of range; expected a positive integer/,
      );
      expectThrows(() => resolveConfig(TOY, { hidden: [4, 0] }), ValueError, /hidden = \[4, 0\] \(length 2\) is out of range/);
      expectThrows(
        () => resolveConfig(TOY, { tau: { start: -1, end: 0, fraction: 1 } }),
        ValueError,
        /tau = "-1:0:1" is out of range; expected values ≥ 0/,
      );
      expectThrows(() => resolveConfig(TOY, { loud: 'yes' }), ValueError, /loud = "yes" is out of range; expected true or false/);
    });

    it('cross-field ranges name the other field and its value', () => {
      expectThrows(
        () => resolveConfig(TOY, { steps: 50, warmupSteps: 50 }),
        ValueError,
        /warmupSteps = 50 is out of range; expected an integer in \[1, steps = 50\)/,
      );
      expectThrows(
        () => resolveConfig(TOY, { mode: 'slow', rate: 0.95 }),
        ValueError,
        /rate = 0\.95 is out of range; expected below 0\.9 with mode = "slow"/,
      );
    });

    it('an unknown choice is an UnknownNameError with the nearest name', () => {
      expectThrows(
        () => resolveConfig(TOY, { mode: 'slwo' }),
        UnknownNameError,
        /toy config: mode = "slwo" is unknown; expected one of fast, slow; did you mean "slow"\?/,
      );
    });

    it('with CLI naming the same errors name flags', () => {
      const n = cliNaming('train toy');
      expectThrows(
        () => resolveConfig(TOY, { steps: 50, warmupSteps: 50 }, n),
        ValueError,
        /gmmrl train toy: --warmup-steps 50 is out of range; expected an integer in \[1, --steps 50\)/,
      );
      expectThrows(() => resolveConfig(TOY, { rate: 2 }, n), ValueError, /--lr 2 is out of range/);
      expectThrows(() => resolveConfig(TOY, { tau: { start: -1, end: 0, fraction: 1 } }, n), ValueError, /--tau -1:0:1 is out of range/);
      // a library-only field keeps its name
      expectThrows(() => resolveConfig(TOY, { secret: NaN }, n), ValueError, /gmmrl train toy: secret = NaN is out of range/);
    });

    it('validateConfig checks a complete config the same way', () => {
      expect(() => validateConfig(TOY, resolveConfig(TOY, {}))).to.not.throw();
      expectThrows(() => validateConfig(TOY, { ...resolveConfig(TOY, {}), extra: 1 } as never), UnknownNameError, /unknown field "extra"/);
    });
  });

  describe('CLI flags from a spec', () => {
    it('one flag per field: kebab-case, the override, none for library-only fields; help shows defaults and rules', () => {
      const flags = specFlags(TOY);
      expect(Object.keys(flags)).to.deep.equal(['env', 'steps', 'warmup-steps', 'lr', 'mode', 'hidden', 'alpha', 'tau', 'loud', 'limit']);
      const help = formatHelp('gmmrl train toy', flags);
      expect(help).to.match(/--warmup-steps +warm-up \(default min\(100, steps\/5\)\)/);
      expect(help).to.match(/--mode +mode \[fast\|slow\] \(default fast\)/);
      expect(help).to.match(/--tau +τ \(values ≥ 0 and a fraction in \(0, 1\], e\.g\. 0\.1; default 0\.1\)/);
      expect(help).to.match(/--limit +a limit \(a positive integer; default none\)/);
      expect(help).to.match(/--hidden +widths \(at most 3 widths in \[1, 64\]; default 4,4\)/);
      expect(help).to.match(/--lr +a rate \(\(0, 1\); default 0\.5\)/);
    });

    it('converts only the given flags, in field order; the rest comes from the spec', () => {
      const { flags } = parseArgs(
        'train toy',
        ['--tau', '0.3:0.1:0.5', '--steps', '500', '--hidden', '', '--alpha', '0.2', '--loud', 'false'],
        specFlags(TOY),
      );
      expect(flagsToPartial(TOY, flags, cliNaming('train toy'))).to.deep.equal({
        steps: 500,
        hidden: [],
        alpha: 0.2,
        tau: { start: 0.3, end: 0.1, fraction: 0.5 },
        loud: false,
      });
      expect(specConfig(TOY, flags, 'train toy')).to.include({ steps: 500, warmupSteps: 100 });
    });

    it('text that does not parse names the flag', () => {
      const parse = (...argv: string[]) => specConfig(TOY, parseArgs('train toy', argv, specFlags(TOY)).flags, 'train toy');
      expectThrows(() => parse('--steps', '1e3'), ValueError, /gmmrl train toy: --steps must be an integer; got "1e3"/);
      expectThrows(() => parse('--lr', 'x'), ValueError, /--lr must be a finite number; got "x"/);
      expectThrows(() => parse('--mode', 'slwo'), UnknownNameError, /--mode must be one of fast, slow; got "slwo"; did you mean slow\?/);
      expectThrows(
        () => parse('--hidden', '4,x'),
        ValueError,
        /--hidden "4,x": entry 1 is not a positive integer; use e\.g\. --hidden 4,4/,
      );
      expectThrows(() => parse('--alpha', 'x'), ValueError, /--alpha "x"; expected "auto" or a number ≥ 0, e\.g\. --alpha 0\.2/);
      expectThrows(() => parse('--tau', 'abc'), ValueError, /--tau: "abc" is not a schedule/);
    });
  });

  it('nearestName: typos within two edits (swaps count once), nothing for far names', () => {
    expect(nearestName('componets', ['components', 'factors'])).to.equal('components');
    expect(nearestName('mpr', ['rp', 'mrp', 'lr'])).to.equal('mrp');
    expect(nearestName('learningrate', ['learningRate'])).to.equal('learningRate');
    expect(nearestName('euclid', ['ai', 'bw'])).to.equal(undefined);
    expect(nearestName('x', ['y'])).to.equal(undefined);
  });

  describe("every algorithm's spec", () => {
    const specs = [
      [GMMQF_SPEC, GMMQF_DEFAULTS],
      [SGMMQF_SPEC, SGMMQF_DEFAULTS],
      [DQN_SPEC, DQN_DEFAULTS],
      [SAC_SPEC, SAC_DEFAULTS],
      [TD3_SPEC, TD3_DEFAULTS],
      [GAMID_SPEC, GAMID_DEFAULTS],
    ] as const;
    for (const [spec, defaults] of specs) {
      it(`${spec.name}: the exported defaults are the spec's; every field has a one-line doc and a unique flag`, () => {
        expect(JSON.stringify(defaults)).to.equal(JSON.stringify(resolveConfig(spec as never, {})));
        expect(Object.isFrozen(defaults)).to.equal(true);
        const flags = Object.entries(spec.fields)
          .map(([k, f]) => flagOf(k, f))
          .filter((f) => f !== null);
        expect(new Set(flags).size).to.equal(flags.length);
        for (const f of ['out', 'quiet', 'help', 'final-episodes']) expect(flags, f).to.not.include(f);
        for (const [k, f] of Object.entries(spec.fields)) {
          expect(f.doc, k).to.be.a('string').and.not.equal('');
          expect(f.doc, k).to.not.match(/\n/);
        }
      });
    }
  });
});
