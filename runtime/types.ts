/**
 * The public types of gmmrl/runtime (both entries export them, through public.ts): the Policy a
 * loaded model is, what its calls take (observations, ActOptions with the sampling noise) and
 * return (actions, PolicyOutputs), PolicyInfo, and the family-typed views QPolicy / ActorPolicy.
 * policy.ts implements them; runtime/README.md describes the contract in full.
 */
import { ValueError } from '../contract/errors.js';
import type { ActionSpaceSpec, GmmrlMetadataV1, ModelFamily, Precision, SamplingSpec } from '../contract/metadata.js';

/** A float vector in the model's precision: Float32Array (float32 models) or Float64Array (float64 models). */
export type FloatArray = Float32Array | Float64Array;

/** 'greedy': the deterministic action; 'sample': the model's stochastic (exploration) action. */
export type ActMode = 'greedy' | 'sample';
export const ACT_MODES: readonly ActMode[] = ['greedy', 'sample'];

/**
 * Where mode 'sample' draws its noise: `uniform()` in [0, 1) and `normal()` standard normal.
 * `Rng` (contract/rng.ts, also exported) is one; any object with these two methods works.
 */
export interface NoiseSource {
  uniform(): number;
  normal(): number;
}

/**
 * Exact noise for mode 'sample' (instead of drawing it): `u` has N entries in [0, 1) (noise_u, one
 * per batch row), `eps` N·A finite numbers (noise_eps row-major [N, A]; actor families only).
 */
export interface PolicyNoise {
  u: ArrayLike<number>;
  eps?: ArrayLike<number>;
}

/** Options of act / actOne / actBatch / envAction / envActionBatch / outputs. */
export interface ActOptions {
  /** Default 'greedy'. */
  mode?: ActMode;
  /** Mode 'sample' only: draw the noise from this source instead of the policy's own Rng(seed). */
  rng?: NoiseSource;
  /** Mode 'sample' only: feed exactly this noise (not with `rng`). */
  noise?: PolicyNoise;
}

/** One output tensor as returned by `Policy.outputs`: int64 outputs become Int32Array. */
export interface OutputTensor {
  readonly dims: number[];
  readonly data: Float32Array | Float64Array | Int32Array;
}

export interface PolicyOutputs {
  /** Number of observations (batch rows). */
  n: number;
  mode: ActMode;
  /** By output name; see `Policy.outputs` for which outputs are present. */
  outputs: Record<string, OutputTensor>;
}

/** What `act` returns: an index (Q families) or an action vector (actors), or a batch of them. */
export type PolicyAction = number | Int32Array | FloatArray | FloatArray[];

/** One execution provider that was tried and failed. */
export interface ProviderFailure {
  provider: string;
  error: string;
}

export interface PolicyInfo {
  /** The validated gmmrl metadata (schema 1); null bounds are ±Infinity here. */
  readonly metadata: Readonly<GmmrlMetadataV1>;
  /** The model family: 'gmmqf' | 'dqn' (Q functions) | 'mixture-actor' | 'gamid-actor' (actors). */
  readonly family: ModelFamily;
  /** True for the actor families (continuous box actions). */
  readonly isActor: boolean;
  /** Float dtype of every floating-point input and output: 'float32' or 'float64'. */
  readonly precision: Precision;
  /** How `action_sampled` is computed (metadata `sampling`), or null: a greedy-only Q model (no mode 'sample'). */
  readonly sampling: Readonly<SamplingSpec> | null;
  /** The execution provider the session runs on ('cpu', 'cuda', 'wasm', 'webgpu'). */
  readonly executionProvider: string;
  /** Providers tried before it, in order, with their errors (empty when the first one worked). */
  readonly providerFailures: readonly ProviderFailure[];
  /** The ONNX Runtime flavour: 'onnxruntime-node' or 'onnxruntime-web'. */
  readonly backend: string;
  readonly irVersion: number;
  /** Version of the default ONNX operator set (domain '' / 'ai.onnx'). */
  readonly opsetVersion: number;
  readonly producerName: string;
  readonly producerVersion: string;
  /** Observation size D (entries per observation the model takes: the environment's observation). */
  readonly observationSize: number;
  /** Size of the features the model normalizes (= observationSize without a feature map; 4 for acrobot-angles). */
  readonly featureSize: number;
  /**
   * Per observation entry i, the largest |obs[i]| the model computes without overflow (a number of
   * its precision): derived from the graph's constants (runtime/README.md, "Observations the model
   * computes"); beyond it a call is a ValueError. With the acrobot-angles feature map, also no
   * (cos, sin) pair may have magnitude max(|cos|, |sin|) below 2⁻¹⁰⁰.
   */
  readonly observationLimit: readonly number[];
  /** action_space.n: the actions a Q model ranks (grid points for a grid model), or the entries A of an actor's box action. */
  readonly numActions: number;
  /** Entries of one environment action: 1 (discrete: an index), prod(shape) for a grid or box. */
  readonly actionSize: number;
  /** metadata.components: Gaussians K (gmmqf), mixture components K, actor networks C (gamid-actor); null for dqn. */
  readonly components: number | null;
  /** The metadata action space: discrete { n }, grid { n, shape, values, low, high } or box { n, shape, low, high }. */
  readonly actionSpace: Readonly<ActionSpaceSpec>;
  /** The seed of the policy's own noise generator (loadPolicy option `seed`, default 0). */
  readonly seed: number;
  /** Model size in bytes. */
  readonly byteLength: number;
  /**
   * Greedy calls run on a second session over the noise-free part of the graph (the outputs that
   * depend on no noise input and no random op; runtime/onnx-prune.ts), so they do not pay for the
   * sampling head: ONNX Runtime runs every node of a graph whatever the fetched outputs. `null`
   * when every call runs on the full graph: no sampling head, loadPolicy option greedyGraph false,
   * or the noise-free graph could not be opened (`reason` says which).
   */
  readonly greedyGraph: Readonly<{ nodesKept: number; nodesRemoved: number; outputsRemoved: readonly string[] }> | null;
  /** Why `greedyGraph` is null ('' when it is not). */
  readonly greedyGraphReason: string;
  /**
   * 'verified': the file hashes to its metadata `model_sha256` (SHA-256 of the whole file with the
   * digest's own digits read as '0'), so it is byte for byte what the exporter wrote. 'unverified': it
   * carries no digest (an older export, or another tool's), so corruption cannot be detected; a
   * warning says so. A file whose digest does not match never loads (ModelFormatError).
   */
  readonly integrity: 'verified' | 'unverified';
  /** What the caller should know about the file (e.g. that its integrity is unverified); empty when nothing. */
  readonly warnings: readonly string[];
}

/** One observation: D numbers. */
export type Observation = ArrayLike<number>;
/** A batch: an array of rows of D numbers each. */
export type ObservationRows = readonly ArrayLike<number>[];

/**
 * A loaded model. "One observation" is a flat array (or typed array) of D numbers; a batch is an
 * array of rows, or a flat array of N·D numbers. Every method validates the observation first
 * (ShapeError / ValueError) and every output after (ModelFormatError), and accepts `opts`
 * ({ mode: 'greedy' | 'sample', rng?, noise? }, default greedy) where it says so.
 */
export interface Policy {
  readonly info: PolicyInfo;
  /**
   * The action(s). Q families: the action index (for a grid model the grid index, output
   * "action_index"; use `envAction` for the environment action) — a number for one observation, an
   * Int32Array for a batch. Actors: the environment action, a FloatArray of A entries for one
   * observation, an array of them (row views into one buffer) for a batch. Mode 'sample' returns
   * the sampled action ("action_sampled", "action_sampled_index" for a grid).
   * A flat array of length D is one observation; N·D with N > 1 a batch; an array of rows a batch.
   */
  act(obs: ObservationRows, opts?: ActOptions): Promise<Int32Array | FloatArray[]>;
  act(obs: Observation, opts?: ActOptions): Promise<PolicyAction>;
  /** Exactly one observation (length D) → its action: a number (Q families) or a FloatArray (actors). */
  actOne(obs: Observation, opts?: ActOptions): Promise<number | FloatArray>;
  /** A batch (rows, or flat N·D with N ≥ 1) → Int32Array of N indices (Q families) or N FloatArray rows (actors). */
  actBatch(obs: Observation | ObservationRows, opts?: ActOptions): Promise<Int32Array | FloatArray[]>;
  /**
   * What to pass to `env.step` for exactly one observation: the action index (a number) for a
   * discrete model; a FloatArray of the action's entries for a grid model (the grid value, checked
   * to be the metadata grid row of its index) and for the actors (checked within [low, high]).
   */
  envAction(obs: Observation, opts?: ActOptions): Promise<number | FloatArray>;
  /** A batch → Int32Array of N indices (discrete) or N FloatArray rows (grid, actors; views into one buffer). */
  envActionBatch(obs: Observation | ObservationRows, opts?: ActOptions): Promise<Int32Array | FloatArray[]>;
  /**
   * Every output the metadata declares, validated, batch-shaped ([n, …] also for one observation):
   * float outputs as FloatArray, integer ones (int64 indices) as Int32Array. In mode 'sample' the
   * sampled outputs (action_sampled, action_sampled_index) are the sample for the fed noise; in mode
   * 'greedy' they are what the graph computes for zero noise (u = 0, ε = 0: not a sample), or a
   * random draw for in-graph noise.
   */
  outputs(obs: Observation | ObservationRows, opts?: ActOptions): Promise<PolicyOutputs>;
  /**
   * Q values: [A] per observation for the Q families, the C component values q_i for gamid-actor.
   * Rows → FloatArray[] (row views into one buffer); flat length D → one FloatArray; flat N·D with
   * N > 1 → FloatArray[]. ValueError for mixture-actor (it has no Q values).
   */
  q(obs: ObservationRows): Promise<FloatArray[]>;
  q(obs: Observation): Promise<FloatArray | FloatArray[]>;
  qOne(obs: Observation): Promise<FloatArray>;
  qBatch(obs: Observation | ObservationRows): Promise<FloatArray[]>;
  /** Releases the ONNX Runtime session. Idempotent; later calls throw DisposedError. */
  dispose(): Promise<void>;
}

/**
 * A Policy of a Q-function family (gmmqf, dqn), typed as such: `act*` return action indices.
 * Get one with `asQPolicy(policy)` (checks the family at run time).
 */
export interface QPolicy extends Policy {
  act(obs: ObservationRows, opts?: ActOptions): Promise<Int32Array>;
  act(obs: Observation, opts?: ActOptions): Promise<number | Int32Array>;
  actOne(obs: Observation, opts?: ActOptions): Promise<number>;
  actBatch(obs: Observation | ObservationRows, opts?: ActOptions): Promise<Int32Array>;
}

/**
 * A Policy of an actor family (mixture-actor, gamid-actor), typed as such: `act*` and `envAction*`
 * return action vectors. Get one with `asActorPolicy(policy)` (checks the family at run time).
 */
export interface ActorPolicy extends Policy {
  act(obs: ObservationRows, opts?: ActOptions): Promise<FloatArray[]>;
  act(obs: Observation, opts?: ActOptions): Promise<FloatArray | FloatArray[]>;
  actOne(obs: Observation, opts?: ActOptions): Promise<FloatArray>;
  actBatch(obs: Observation | ObservationRows, opts?: ActOptions): Promise<FloatArray[]>;
  envAction(obs: Observation, opts?: ActOptions): Promise<FloatArray>;
  envActionBatch(obs: Observation | ObservationRows, opts?: ActOptions): Promise<FloatArray[]>;
}

/** The same policy typed as a QPolicy; ValueError unless its family is gmmqf or dqn. */
export function asQPolicy(policy: Policy): QPolicy {
  if (policy.info.isActor) {
    throw new ValueError(
      `Expected a Q-function model (family gmmqf or dqn), got family ${policy.info.family}: its actions are vectors, not indices. ` +
        `Use asActorPolicy(policy) for it.`,
    );
  }
  return policy as QPolicy;
}

/** The same policy typed as an ActorPolicy; ValueError unless its family is mixture-actor or gamid-actor. */
export function asActorPolicy(policy: Policy): ActorPolicy {
  if (!policy.info.isActor) {
    throw new ValueError(
      `Expected an actor model (family mixture-actor or gamid-actor), got family ${policy.info.family}: its actions are indices. ` +
        `Use asQPolicy(policy) for it.`,
    );
  }
  return policy as ActorPolicy;
}

/**
 * The loadPolicy options of both entries (NodeLoadOptions, WebLoadOptions extend it). P: the
 * entry's execution providers; S: its ONNX Runtime's session options.
 */
export interface LoadPolicyOptions<P extends string, S> {
  /** Providers to try in priority order; the first that starts is used (see `policy.info`). */
  executionProviders?: P[];
  /** Extra ONNX Runtime session options (intraOpNumThreads, graphOptimizationLevel, …); loadPolicy sets executionProviders. */
  sessionOptions?: S;
  /**
   * Seed (an integer in [0, 2³²)) of the policy's own noise generator `Rng(seed)`, which mode
   * 'sample' draws from when a call passes no `rng` or `noise`. Default 0.
   */
  seed?: number;
  /**
   * Greedy calls run on a second session over the noise-free part of the graph, so they do not pay
   * for the sampling head (policy.info.greedyGraph). Default true; false keeps one session.
   */
  greedyGraph?: boolean;
  /**
   * The largest model loadPolicy reads, in bytes (an integer in [1, 2³¹ − 1]; default 536870912 =
   * 512 MiB): a file is refused before it is read (its size on the open descriptor), a download
   * when its Content-Length or its body passes it, bytes passed directly when they are longer.
   */
  maxFileBytes?: number;
}
