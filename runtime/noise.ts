/**
 * Sampling noise: how a call's options ({ mode, rng, noise }) resolve — greedy, or a sample whose
 * noise comes from `opts.rng`, `opts.noise` or the policy's own Rng(seed), or from inside the graph —
 * and how the noise inputs are filled: per batch row n, u_n = rng.uniform() then
 * ε_{n,0}, …, ε_{n,A−1} = rng.normal() (or copied from opts.noise), each validated and rounded to the
 * model's precision; a float32 u that rounds up to 1 becomes 1 − 2⁻²⁴, so u stays in [0, 1).
 */
import { ShapeError, ValueError, describeValue } from '../contract/errors.js';
import { checkContainer, what } from './observations.js';
import { ACT_MODES, type ActOptions, type FloatArray, type NoiseSource, type PolicyInfo, type PolicyNoise } from './types.js';

/** The largest float32 below 1 (1 − 2⁻²⁴): where a float32-rounded u of 1 goes. */
const F32_BELOW_ONE = 1 - 2 ** -24;

/** The resolved options of one call. */
export interface Resolved {
  sample: boolean;
  /** Mode 'sample' with noise inputs: the source to draw from (null when `noise` is given). */
  rng: NoiseSource | null;
  /** Where `rng` came from, for messages. */
  rngName: string;
  noise: PolicyNoise | null;
}

const GREEDY: Resolved = Object.freeze({ sample: false, rng: null, rngName: '', noise: null });
const SAMPLE_IN_GRAPH: Resolved = Object.freeze({ sample: true, rng: null, rngName: '', noise: null });

/** A policy's sampling-noise rules: resolves each call's options and fills its noise inputs. */
export class Sampler {
  /**
   * `A`: entries of noise_eps per row (action_space.n); `f64`: a float64 model; `noiseEps`: the model
   * has a noise_eps input; `rng`: the policy's own noise source (mode 'sample' without rng or noise).
   */
  constructor(
    private readonly info: PolicyInfo,
    private readonly A: number,
    private readonly f64: boolean,
    private readonly noiseEps: boolean,
    private readonly rng: NoiseSource,
  ) {}

  private noSamplingHead(method: string): ValueError {
    const outs = this.info.metadata.outputs.map((t) => t.name).join(', ');
    return new ValueError(
      `${method}: mode "sample" needs a sampling head, but this ${this.info.family} model has none: its gmmrl metadata has no ` +
        `"sampling" (it was exported greedy-only; outputs ${outs}). Re-export it with one — \`gmmrl export runs/NAME --out policy.onnx ` +
        `--sampling inputs\`, or the exporter option sampling: 'inputs' — or use mode "greedy" (or draw ε-greedy actions yourself from policy.q(obs)).`,
    );
  }

  /** Validates `opts` (unknown keys, mode, rng / noise and whether this model can use them). */
  resolve(opts: ActOptions | undefined, method: string): Resolved {
    if (opts === undefined) return GREEDY;
    if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
      throw new ValueError(`${method}: opts must be an object { mode?, rng?, noise? }, got ${what(opts)}.`);
    }
    for (const k in opts) {
      if (k !== 'mode' && k !== 'rng' && k !== 'noise') {
        throw new ValueError(`${method}: unknown option ${JSON.stringify(k)}; the options are mode ("greedy" | "sample"), rng and noise.`);
      }
    }
    const mode = opts.mode === undefined ? 'greedy' : opts.mode;
    if (mode !== 'greedy' && mode !== 'sample') {
      throw new ValueError(
        `${method}: opts.mode is ${describeValue(mode)}; expected one of ${ACT_MODES.map((x) => JSON.stringify(x)).join(', ')}.`,
      );
    }
    const { rng, noise } = opts;
    if (mode === 'greedy') {
      if (rng !== undefined || noise !== undefined) {
        const which = rng !== undefined ? 'rng' : 'noise';
        throw new ValueError(
          `${method}: opts.${which} was given with mode "greedy"${opts.mode === undefined ? ' (the default)' : ''}, which uses no noise. ` +
            `Pass mode: "sample" to sample, or leave out ${which}.`,
        );
      }
      return GREEDY;
    }
    const s = this.info.sampling;
    if (s === null) throw this.noSamplingHead(method);
    if (rng !== undefined && noise !== undefined) {
      throw new ValueError(`${method}: pass either opts.rng (draw the noise) or opts.noise (exact noise), not both.`);
    }
    if (s.noise === 'in-graph') {
      if (rng !== undefined || noise !== undefined) {
        throw new ValueError(
          `${method}: opts.${rng !== undefined ? 'rng' : 'noise'} was given, but this model draws its sampling noise inside the graph ` +
            `(sampling.noise = "in-graph"): the runtime cannot feed it, and its sampled actions are not reproducible (they differ between ` +
            `runs, builds and runtimes). Leave it out (mode "sample" still samples), or re-export with \`--sampling inputs\` (exporter ` +
            `option sampling: 'inputs') for seeded, reproducible sampling.`,
        );
      }
      return SAMPLE_IN_GRAPH;
    }
    if (rng !== undefined) {
      const r = rng as unknown as Record<string, unknown> | null;
      if (
        typeof r !== 'object' ||
        r === null ||
        typeof r['uniform'] !== 'function' ||
        (this.noiseEps && typeof r['normal'] !== 'function')
      ) {
        throw new ValueError(
          `${method}: opts.rng must be a noise source with methods uniform() (in [0, 1))${this.noiseEps ? ' and normal() (standard normal)' : ''}, ` +
            `e.g. new Rng(seed) from gmmrl/runtime; got ${what(rng)}.`,
        );
      }
      return { sample: true, rng, rngName: 'opts.rng', noise: null };
    }
    if (noise !== undefined) {
      if (typeof noise !== 'object' || noise === null || Array.isArray(noise) || ArrayBuffer.isView(noise)) {
        throw new ValueError(`${method}: opts.noise must be an object { u${this.noiseEps ? ', eps' : ''} }, got ${what(noise)}.`);
      }
      for (const k in noise) {
        if (k !== 'u' && k !== 'eps')
          throw new ValueError(`${method}: unknown field opts.noise.${k}; the fields are u${this.noiseEps ? ' and eps' : ''}.`);
      }
      return { sample: true, rng: null, rngName: '', noise };
    }
    return { sample: true, rng: this.rng, rngName: `the policy's Rng(seed ${this.info.seed})`, noise: null };
  }

  /** Rounds a u ∈ [0, 1) to the model's precision, keeping it below 1. */
  private roundU(x: number): number {
    if (this.f64) return x;
    const f = Math.fround(x);
    return f < 1 ? f : F32_BELOW_ONE;
  }

  /** Fills u [n] (and eps [n·A]) from `res` (exact noise or a source), validating every value. */
  fillNoise(res: Resolved, n: number, u: FloatArray, eps: FloatArray | null, method: string): void {
    const A = this.A;
    const noise = res.noise;
    if (noise) {
      const fix = `Pass noise: { u: ${n} numbers in [0, 1)${eps ? `, eps: ${n}·${A} = ${n * A} finite numbers (row-major [N, A])` : ''} }.`;
      checkContainer(noise.u, 'opts.noise.u', fix, 'noise values');
      if (noise.u.length !== n)
        throw new ShapeError(`${method}: opts.noise.u has length ${noise.u.length}, expected ${n} (one per observation). ${fix}`);
      for (let i = 0; i < n; i++) {
        const x = noise.u[i] as unknown;
        if (typeof x !== 'number' || !(x >= 0 && x < 1)) {
          throw new ValueError(
            `${method}: opts.noise.u[${i}] is ${typeof x === 'number' ? describeValue(x) : what(x)}; u must be a number in [0, 1). ${fix}`,
          );
        }
        u[i] = this.roundU(x);
      }
      if (!eps) {
        if (noise.eps !== undefined) {
          throw new ValueError(
            `${method}: opts.noise.eps was given, but family ${this.info.family} samples with noise_u only (ε-greedy; it has no noise_eps input). Leave out eps.`,
          );
        }
        return;
      }
      if (noise.eps === undefined)
        throw new ValueError(`${method}: opts.noise.eps is missing; family ${this.info.family} needs noise_eps. ${fix}`);
      checkContainer(noise.eps, 'opts.noise.eps', fix, 'noise values');
      if (noise.eps.length !== n * A) {
        throw new ShapeError(`${method}: opts.noise.eps has length ${noise.eps.length}, expected N·A = ${n}·${A} = ${n * A}. ${fix}`);
      }
      for (let i = 0; i < n * A; i++) {
        const x = noise.eps[i] as unknown;
        const v = typeof x === 'number' ? (this.f64 ? x : Math.fround(x)) : NaN;
        if (v - v !== 0) {
          throw new ValueError(
            `${method}: opts.noise.eps[${i}] is ${typeof x === 'number' ? describeValue(x) : what(x)}; eps must be finite numbers` +
              `${this.f64 ? '' : ' within the float32 range'}. ${fix}`,
          );
        }
        eps[i] = v;
      }
      return;
    }
    const rng = res.rng!;
    for (let r = 0; r < n; r++) {
      const x = rng.uniform();
      if (typeof x !== 'number' || !(x >= 0 && x < 1)) {
        throw new ValueError(
          `${method}: ${res.rngName}.uniform() returned ${describeValue(x)} for row ${r}; a noise source's uniform() must return numbers in [0, 1).`,
        );
      }
      u[r] = this.roundU(x);
      if (eps) {
        for (let d = 0; d < A; d++) {
          const e = rng.normal();
          const v = typeof e === 'number' ? (this.f64 ? e : Math.fround(e)) : NaN;
          if (v - v !== 0) {
            throw new ValueError(
              `${method}: ${res.rngName}.normal() returned ${describeValue(e)} for row ${r}; a noise source's normal() must return finite numbers.`,
            );
          }
          eps[r * A + d] = v;
        }
      }
    }
  }
}
