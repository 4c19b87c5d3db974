/**
 * The model families of the gmmrl contract, defined once, here: each family's id (the value of
 * gmmrl.family in an ONNX file and of model_family in a checkpoint's config.json), its kind (a
 * Q-function that ranks discrete actions, or an actor that outputs a continuous action), the other
 * names it is known by, and its part of the metadata rules — which `sampling` kind it uses, what
 * `components` counts, which optional fields it may carry, and the graph inputs and outputs it must
 * declare. contract/metadata.ts validates every file against these rules and the runtime reads the
 * kind; the SDK's family registry (sdk/families/) implements each family (checkpoints, export,
 * parity, bench model) and looks its contract up here.
 *
 *   family         kind   trained by (gmmrl train …)   components         sampling
 *   gmmqf          q      gmmqf, sgmmqf (S-GMM-QF)     Gaussians K        epsilon-greedy (optional)
 *   dqn            q      dqn (--double)               —                  epsilon-greedy (optional)
 *   mixture-actor  actor  sac                          mixture comps. K   mixture (required)
 *   gamid-actor    actor  gamid, td3 (C = 1)           actor networks C   gamid (required)
 *
 * TD3 trains one deterministic actor scored by its critic: that is a Gamid actor with C = 1, so its
 * checkpoints and ONNX files are family gamid-actor; `td3` is an alias of that family.
 *
 * Platform-free; imports only contract/errors (and types of contract/metadata).
 */
import { UnknownNameError } from './errors.js';
import type { DimSpec, GmmrlMetadataV1, SamplingSpec, TensorDtype, TensorSpec } from './metadata.js';

/** Every graph input/output name of the contract (all families). */
export const IO = {
  obs: 'obs',
  noiseU: 'noise_u',
  noiseEps: 'noise_eps',
  q: 'q',
  action: 'action',
  actionIndex: 'action_index',
  actionSampled: 'action_sampled',
  actionSampledIndex: 'action_sampled_index',
  weights: 'weights',
  means: 'means',
  logStd: 'log_std',
  componentActions: 'component_actions',
} as const;

/** The family ids, by name: use these, never the string literals. */
export const FAMILY = {
  gmmqf: 'gmmqf',
  dqn: 'dqn',
  mixtureActor: 'mixture-actor',
  gamidActor: 'gamid-actor',
} as const;

/** Model families this version of the runtime can run. */
export const MODEL_FAMILIES = [FAMILY.gmmqf, FAMILY.dqn, FAMILY.mixtureActor, FAMILY.gamidActor] as const;
export type ModelFamily = (typeof MODEL_FAMILIES)[number];

/** 'q': ranks discrete actions (or grid points) by q; 'actor': outputs continuous actions in a box. */
export type FamilyKind = 'q' | 'actor';

/** Optional metadata fields that only some families may carry. */
export type FamilyField = 'sparsity';

type SamplingKind = SamplingSpec['kind'];

/** A tensor a family's graph must declare: name, dtype and shape (strings are symbolic dimensions). */
export type RequiredTensor = Pick<TensorSpec, 'name' | 'dtype' | 'shape'>;

/** One family's part of the contract. */
export interface FamilyContract {
  id: ModelFamily;
  kind: FamilyKind;
  /** The family in words, as messages name its checkpoints (e.g. "GMM-QF checkpoint"). */
  title: string;
  /** The function of gmmrl that loads its checkpoint directories (named in messages). */
  loader: string;
  /** Other names of the family: the `gmmrl train` algorithms whose checkpoints are of this family. */
  aliases: readonly string[];
  /**
   * Descriptions of the training runs behind a checkpoint of this family, by training.algorithm, for
   * the algorithms the family id does not name (TD3's deterministic actor is a gamid-actor).
   */
  trainedBy: Readonly<Record<string, string>>;
  /** What metadata `components` counts; undefined when the family has no components (then it must be absent). */
  components?: string;
  /** The kind of its `sampling` entry. */
  sampling: SamplingKind;
  /** Whether `sampling` is required (actors always sample; a Q model may be greedy-only). */
  samplingRequired: boolean;
  /** The optional family-specific metadata fields it may carry. */
  fields: readonly FamilyField[];
  /** The outputs its graph must declare (at least these), for metadata `m` of float dtype F. */
  outputs(m: GmmrlMetadataV1, F: TensorDtype): RequiredTensor[];
}

/** The sampling fields each sampling kind needs. */
export const SAMPLING_FIELDS: Readonly<Record<SamplingKind, readonly ('epsilon' | 'exploration_std')[]>> = {
  'epsilon-greedy': ['epsilon'],
  mixture: [],
  gamid: ['epsilon', 'exploration_std'],
};

/** q [N, A]; action (+ action_index for a grid); with sampling also action_sampled (+ its index). */
function qOutputs(m: GmmrlMetadataV1, F: TensorDtype): RequiredTensor[] {
  const A = m.action_space.n;
  const out: RequiredTensor[] = [{ name: IO.q, dtype: F, shape: ['N', A] }];
  if (m.action_space.kind === 'grid') {
    const s: DimSpec[] = ['N', ...m.action_space.shape];
    out.push({ name: IO.action, dtype: F, shape: s }, { name: IO.actionIndex, dtype: 'int64', shape: ['N'] });
    if (m.sampling) out.push({ name: IO.actionSampled, dtype: F, shape: s }, { name: IO.actionSampledIndex, dtype: 'int64', shape: ['N'] });
  } else {
    out.push({ name: IO.action, dtype: 'int64', shape: ['N'] });
    if (m.sampling) out.push({ name: IO.actionSampled, dtype: 'int64', shape: ['N'] });
  }
  return out;
}

/** The contract of every family, by id. */
export const FAMILY_CONTRACTS: Readonly<Record<ModelFamily, FamilyContract>> = {
  [FAMILY.gmmqf]: {
    id: FAMILY.gmmqf,
    kind: 'q',
    title: 'GMM-QF',
    loader: 'loadGmmQfCheckpoint',
    aliases: ['sgmmqf'],
    trainedBy: {},
    components: 'Gaussians K',
    sampling: 'epsilon-greedy',
    samplingRequired: false,
    fields: ['sparsity'],
    outputs: qOutputs,
  },
  [FAMILY.dqn]: {
    id: FAMILY.dqn,
    kind: 'q',
    title: 'DQN',
    loader: 'loadDqnCheckpoint',
    aliases: ['double-dqn'],
    trainedBy: {},
    sampling: 'epsilon-greedy',
    samplingRequired: false,
    fields: [],
    outputs: qOutputs,
  },
  [FAMILY.mixtureActor]: {
    id: FAMILY.mixtureActor,
    kind: 'actor',
    title: 'SAC mixture-actor',
    loader: 'loadMixtureActorCheckpoint',
    aliases: ['sac'],
    trainedBy: {},
    components: 'mixture components K',
    sampling: 'mixture',
    samplingRequired: true,
    fields: [],
    outputs: (m, F) => {
      const A = m.action_space.n;
      const K = m.components!;
      return [
        { name: IO.action, dtype: F, shape: ['N', A] },
        { name: IO.actionSampled, dtype: F, shape: ['N', A] },
        { name: IO.weights, dtype: F, shape: ['N', K] },
        { name: IO.means, dtype: F, shape: ['N', K, A] },
        { name: IO.logStd, dtype: F, shape: ['N', K, A] },
      ];
    },
  },
  [FAMILY.gamidActor]: {
    id: FAMILY.gamidActor,
    kind: 'actor',
    title: 'Gamid/TD3 actor',
    loader: 'loadGamidActorCheckpoint',
    aliases: ['gamid', 'td3'],
    trainedBy: { td3: 'TD3 deterministic actor' },
    components: 'actor networks C',
    sampling: 'gamid',
    samplingRequired: true,
    fields: [],
    outputs: (m, F) => {
      const A = m.action_space.n;
      const C = m.components!;
      return [
        { name: IO.action, dtype: F, shape: ['N', A] },
        { name: IO.actionIndex, dtype: 'int64', shape: ['N'] },
        { name: IO.actionSampled, dtype: F, shape: ['N', A] },
        { name: IO.actionSampledIndex, dtype: 'int64', shape: ['N'] },
        { name: IO.componentActions, dtype: F, shape: ['N', C, A] },
        { name: IO.q, dtype: F, shape: ['N', C] },
      ];
    },
  },
};

/** The Q-function families: they rank discrete actions (or grid points) by q. */
export const Q_FAMILIES: readonly ModelFamily[] = MODEL_FAMILIES.filter((f) => FAMILY_CONTRACTS[f].kind === 'q');
/** The actor families: they output continuous actions in a box. */
export const ACTOR_FAMILIES: readonly ModelFamily[] = MODEL_FAMILIES.filter((f) => FAMILY_CONTRACTS[f].kind === 'actor');

/** True for a family id of this contract. */
export function isModelFamily(name: unknown): name is ModelFamily {
  return typeof name === 'string' && (MODEL_FAMILIES as readonly string[]).includes(name);
}

/** True for the families whose action is a continuous vector (mixture-actor, gamid-actor). */
export function isActorFamily(family: ModelFamily): boolean {
  return FAMILY_CONTRACTS[family].kind === 'actor';
}

/** The families that may carry the optional metadata field `field`. */
export function familiesWithField(field: FamilyField): ModelFamily[] {
  return MODEL_FAMILIES.filter((f) => FAMILY_CONTRACTS[f].fields.includes(field));
}

/** "gmmqf, dqn, mixture-actor, gamid-actor (aliases: sgmmqf → gmmqf, …)": the names `familyContract` accepts. */
function knownFamilyNames(): string {
  const aliases = MODEL_FAMILIES.flatMap((f) => FAMILY_CONTRACTS[f].aliases.map((a) => `${a} → ${f}`));
  return `${MODEL_FAMILIES.join(', ')} (aliases: ${aliases.join(', ')})`;
}

/**
 * The contract of the family named `name`: a family id, or an alias (e.g. "td3" → gamid-actor,
 * "sac" → mixture-actor). Throws UnknownNameError naming the known families and aliases.
 */
export function familyContract(name: string): FamilyContract {
  if (isModelFamily(name)) return FAMILY_CONTRACTS[name];
  for (const f of MODEL_FAMILIES) if (FAMILY_CONTRACTS[f].aliases.includes(name)) return FAMILY_CONTRACTS[f];
  throw new UnknownNameError(`unknown model family ${JSON.stringify(name)}; known: ${knownFamilyNames()}.`);
}

/**
 * The family's name for a checkpoint trained by `training.algorithm`: the id, followed by what
 * trained it when the id does not say so (e.g. "gamid-actor (TD3 deterministic actor)").
 */
export function familyLabel(family: ModelFamily, training?: Readonly<Record<string, unknown>>): string {
  const algorithm = training?.['algorithm'];
  const by =
    typeof algorithm === 'string' && Object.prototype.hasOwnProperty.call(FAMILY_CONTRACTS[family].trainedBy, algorithm)
      ? FAMILY_CONTRACTS[family].trainedBy[algorithm]
      : undefined;
  return by ? `${family} (${by})` : family;
}

function sameDims(actual: DimSpec[], expected: DimSpec[]): boolean {
  if (actual.length !== expected.length) return false;
  return actual.every((d, i) => (typeof expected[i] === 'string' ? typeof d === 'string' : d === expected[i]));
}

function fmtShape(s: DimSpec[]): string {
  return `[${s.map((d) => (typeof d === 'string' ? JSON.stringify(d) : String(d))).join(', ')}]`;
}

/**
 * The per-family rules of validated metadata `m` (F = the precision's float dtype, float32 unless
 * `precision` says float64; inputs are exactly those listed, outputs at least those listed).
 * `fail(path, problem)` reports a violation (it throws).
 *
 * Every family: inputs obs [N, D] F, and with sampling noise "inputs" noise_u [N] F, for actors
 * also noise_eps [N, A] F. Q families: action space discrete or grid, sampling optional of kind
 * epsilon-greedy. Actors: box action space, sampling required of the family's kind. Outputs: the
 * family's `outputs` (FAMILY_CONTRACTS):
 *
 * gmmqf, dqn: q [N, A] F; action [N] int64 (discrete) or action [N, ...shape] F + action_index [N]
 *   int64 (grid); with sampling also action_sampled [N] int64 (discrete) or action_sampled
 *   [N, ...shape] F + action_sampled_index [N] int64 (grid)
 * mixture-actor (K = components): action [N, A] F, action_sampled [N, A] F, weights [N, K] F,
 *   means [N, K, A] F, log_std [N, K, A] F
 * gamid-actor (C = components; sampling with epsilon and exploration_std): action [N, A] F,
 *   action_index [N] int64, action_sampled [N, A] F, action_sampled_index [N] int64,
 *   component_actions [N, C, A] F, q [N, C] F
 */
export function checkFamilyContract(m: GmmrlMetadataV1, fail: (path: string, problem: string) => never): void {
  const c = FAMILY_CONTRACTS[m.family];
  const D = m.observation_space.shape.reduce((a, b) => a * b, 1);
  const A = m.action_space.n;
  const F: TensorDtype = m.precision ?? 'float32';
  const want = (list: TensorSpec[], listName: string, t: RequiredTensor): void => {
    const i = list.findIndex((x) => x.name === t.name);
    if (i < 0)
      fail(listName, `must declare ${JSON.stringify(t.name)} (family ${m.family}); got ${JSON.stringify(list.map((x) => x.name))}`);
    const got = list[i]!;
    if (got.dtype !== t.dtype) fail(`${listName}[${i}].dtype`, `must be ${t.dtype} for ${JSON.stringify(t.name)}, got ${got.dtype}`);
    if (!sameDims(got.shape, t.shape)) {
      fail(
        `${listName}[${i}].shape`,
        `is ${fmtShape(got.shape)} but family ${m.family} with observation size ${D} and ${A} actions requires ${fmtShape(t.shape)} ` +
          `(a string is a symbolic batch dimension)`,
      );
    }
  };
  const actor = c.kind === 'actor';
  const s = m.sampling;
  if (actor) {
    if (m.action_space.kind !== 'box')
      fail('action_space.kind', `must be "box" for family ${m.family}, got ${JSON.stringify(m.action_space.kind)}`);
  } else if (m.action_space.kind === 'box') {
    fail('action_space.kind', `must be "discrete" or "grid" for family ${m.family}, got "box"`);
  }
  if (c.samplingRequired && !s) fail('sampling', `is required for family ${m.family} (kind ${JSON.stringify(c.sampling)})`);
  if (s && s.kind !== c.sampling)
    fail('sampling.kind', `must be ${JSON.stringify(c.sampling)} for family ${m.family}, got ${JSON.stringify(s.kind)}`);
  const needs = SAMPLING_FIELDS[c.sampling];
  if (s && needs.some((f) => s[f] === undefined)) fail('sampling', `of kind ${JSON.stringify(c.sampling)} needs ${needs.join(' and ')}`);

  const inputs: RequiredTensor[] = [{ name: IO.obs, dtype: F, shape: ['N', D] }];
  if (s?.noise === 'inputs') {
    inputs.push({ name: IO.noiseU, dtype: F, shape: ['N'] });
    if (actor) inputs.push({ name: IO.noiseEps, dtype: F, shape: ['N', A] });
  }
  for (const t of inputs) want(m.inputs, 'inputs', t);
  if (m.inputs.length !== inputs.length) {
    fail(
      'inputs',
      `must declare exactly ${JSON.stringify(inputs.map((t) => t.name))} (family ${m.family}${s ? `, sampling noise ${s.noise}` : ''}), got ${JSON.stringify(m.inputs.map((t) => t.name))}`,
    );
  }
  for (const t of c.outputs(m, F)) want(m.outputs, 'outputs', t);
}
