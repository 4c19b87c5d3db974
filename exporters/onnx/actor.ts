/**
 * What the two actor exporters (gamid-actor.ts, mixture-actor.ts) share around their own graphs:
 *
 *   options     `resolveActorExport`: the resolved options and float kind, after the family's validation
 *   validation  `checkMlpFits`: an MLP's parameters fit in F; `checkActorCommon`: normalization, action
 *               bounds and export metadata (the last checks of both)
 *   metadata    `actorMetadata`: the fields both write, around the family's own, in one order
 *   outputs     an actor lists its outputs once (`ActorOutput`): `actorOutputSpecs` gives the metadata
 *               `outputs`, `beginActorGraph` declares them in the graph in the same order
 *   preamble    `beginActorGraph`: the graph with obs (and noise_u [N], noise_eps [N, A] when the noise
 *               comes through the inputs), the declared outputs, then the constants both use —
 *               `${family}/const/axes_1` and the box-scaling constants — in that order
 *   text        `actorNoiseFormula` (the noise part of metadata sampling.formula), `actionSampledDoc`
 *               and `actorDocString` (the default model doc string's common part)
 *
 * The exported bytes are pinned (spec/golden), so the order of every initializer, node and output
 * here is the one both actors always wrote.
 */
import type { ModelFamily } from '../../contract/families.js';
import { METADATA_SCHEMA_VERSION, type GmmrlMetadataV1, type TensorDtype, type TensorSpec } from '../../contract/metadata.js';
import type { MlpParams } from '../../models/actor-critic/mlp.js';
import { beginGraph, inputSpecs, metadataEnvelope, normalizationSpec, precisionField, type FamilyMetadataFields } from './envelope.js';
import { ElemType, type Dim, type GraphBuilder } from './graph.js';
import {
  IN_GRAPH_NOTE,
  addBoxScaleConstants,
  boxScaleConstants,
  checkActorArrays,
  checkActorExportMeta,
  checkFits,
  floatKind,
  int64Const,
  resolveActorOptions,
  type ActorExportMeta,
  type BoxScale,
  type FloatKind,
  type NoiseMode,
  type ResolvedActorOptions,
  type Site,
} from './subgraphs.js';

/** One output of an actor graph: its name, metadata dtype, shape and graph doc string. */
export interface ActorOutput {
  name: string;
  dtype: TensorDtype;
  shape: Dim[];
  doc: string;
}

/** The metadata `outputs` of an actor: its outputs' name, dtype and shape, in order. */
function actorOutputSpecs(outputs: readonly ActorOutput[]): TensorSpec[] {
  return outputs.map(({ name, dtype, shape }) => ({ name, dtype, shape: [...shape] }));
}

/**
 * Resolves the actor options (throwing on invalid ones), then runs the family's `validate` in the
 * resolved precision; returns the options and float kind.
 */
export function resolveActorExport(
  options: unknown,
  where: string,
  validate: (fk: FloatKind) => void,
): { o: ResolvedActorOptions; fk: FloatKind } {
  const o = resolveActorOptions(options, where);
  const fk = floatKind(o.precision);
  validate(fk);
  return { o, fk };
}

/** Every weight and bias of the MLP `name` (e.g. "trunk", "actors[0]") fits in F (ValueError naming `name.weights[l]` otherwise). */
export function checkMlpFits(where: string, name: string, p: MlpParams, fk: FloatKind): void {
  for (let l = 0; l < p.layers.length - 1; l++) {
    checkFits(where, `${name}.weights[${l}]`, p.weights[l]!, fk);
    checkFits(where, `${name}.biases[${l}]`, p.biases[l]!, fk);
  }
}

/** What an actor's metadata holds of its own (actorMetadata places it among the common fields). */
export interface ActorMetadataFields {
  components: number;
  sampling: FamilyMetadataFields['sampling'];
  parameterCount: number;
  network: FamilyMetadataFields['network'];
  outputs: readonly ActorOutput[];
}

/**
 * The gmmrl metadata of an actor of `family` (D observation entries, A action entries): the box
 * action space [low, high], its components, the precision, its sampling, the normalization in F,
 * its parameter count and network, the inputs and its outputs, in that order.
 */
export function actorMetadata(
  family: ModelFamily,
  meta: ActorExportMeta,
  p: { obsOffset: ArrayLike<number>; obsScale: ArrayLike<number>; actionLow: ArrayLike<number>; actionHigh: ArrayLike<number> },
  o: ResolvedActorOptions,
  fk: FloatKind,
  D: number,
  A: number,
  own: ActorMetadataFields,
): GmmrlMetadataV1 {
  return metadataEnvelope(family, meta, {
    action_space: { kind: 'box', n: A, shape: [A], low: Array.from(p.actionLow), high: Array.from(p.actionHigh) },
    components: own.components,
    ...precisionField(o.precision),
    sampling: own.sampling,
    normalization: normalizationSpec(p.obsOffset, p.obsScale, fk),
    parameter_count: own.parameterCount,
    network: own.network,
    inputs: inputSpecs(fk.dtype, D, o.sampling === 'inputs', A),
    outputs: actorOutputSpecs(own.outputs),
  });
}

/** The checks every actor ends its validation with: normalization and action bounds in F, box-scaling constants, export metadata (D observation entries). */
export function checkActorCommon(
  where: string,
  p: { obsOffset: ArrayLike<number>; obsScale: ArrayLike<number>; actionLow: ArrayLike<number>; actionHigh: ArrayLike<number> },
  meta: ActorExportMeta,
  D: number,
  fk: FloatKind,
): void {
  checkActorArrays(where, p, fk);
  boxScaleConstants(p.actionLow, p.actionHigh, fk, where);
  checkActorExportMeta(meta, D, where);
}

/** The noise part of an actor's sampling formula (metadata sampling.formula). */
export function actorNoiseFormula(noise: NoiseMode): string {
  return noise === 'inputs'
    ? 'u = noise_u ~ U[0, 1), eps = noise_eps ~ N(0, I).'
    : 'u ~ U[0, 1) and eps ~ N(0, I) drawn in the graph.' + IN_GRAPH_NOTE;
}

/** The graph doc string of output action_sampled. */
export function actionSampledDoc(noise: NoiseMode): string {
  return noise === 'inputs'
    ? 'Sampled environment action (deterministic given noise_u and noise_eps).'
    : 'Sampled environment action (noise drawn in the graph: not reproducible across runtimes).';
}

/** What `beginActorGraph` needs: the family, the graph doc, the sizes and noise docs, the outputs and the action bounds. */
export interface ActorGraphSpec {
  family: ModelFamily;
  graphDoc: string;
  fk: FloatKind;
  sampling: NoiseMode;
  /** Observation size D and action size A. */
  D: number;
  A: number;
  /** Doc strings of the noise inputs (used with sampling "inputs"). */
  noiseDocs: { u: string; eps: string };
  outputs: readonly ActorOutput[];
  actionLow: ArrayLike<number>;
  actionHigh: ArrayLike<number>;
  where: string;
}

/** The started actor graph: the builder and its site, the input names, and the shared constants. */
export interface ActorGraphStart {
  g: GraphBuilder;
  s: Site;
  obs: string;
  /** noise_u and noise_eps with sampling "inputs" (undefined otherwise: the actor draws them in the graph). */
  u?: string;
  eps?: string;
  /** With sampling "inputs": the [N] bool mask of rows without finite noise (envelope.ts beginGraph), for guardSampled. */
  missing?: string;
  /** The int64 constant [1] `${family}/const/axes_1`. */
  axes1: string;
  box: BoxScale;
}

/** Starts an actor graph (see the module comment for what it adds, in order). */
export function beginActorGraph(a: ActorGraphSpec): ActorGraphStart {
  const { fk } = a;
  const { g, obs, noiseU, noiseEps, noiseMissing } = beginGraph(
    a.family,
    a.graphDoc,
    fk,
    a.D,
    a.sampling === 'inputs' ? { u: a.noiseDocs.u, eps: { shape: ['N', a.A], doc: a.noiseDocs.eps } } : undefined,
  );
  const s: Site = { g, fk, prefix: a.family };
  for (const out of a.outputs) g.output(out.name, out.dtype === 'int64' ? ElemType.INT64 : fk.F, out.shape, out.doc);
  const axes1 = int64Const(s, 'axes_1', [1]);
  const box = addBoxScaleConstants(s, a.actionLow, a.actionHigh, a.where);
  return { g, s, obs, u: noiseU, eps: noiseEps, missing: noiseMissing, axes1, box };
}

/**
 * The default model doc string of an actor: `summary`, then the inputs (obs [N, D], and the noise
 * inputs or a note that the noise is drawn in the graph), the actions [N, A], `outputsTail` (the
 * family's other outputs) and the pointer to the metadata.
 */
export function actorDocString(summary: string, fk: FloatKind, D: number, A: number, sampling: NoiseMode, outputsTail: string): string {
  const noiseText =
    sampling === 'inputs'
      ? `, "noise_u" [N] ${fk.dtype} (uniform [0, 1)) and "noise_eps" [N, ${A}] ${fk.dtype} (standard normal)`
      : ' (the sampling noise is drawn inside the graph: not reproducible across runtimes)';
  return (
    `${summary} Inputs "obs" [N, ${D}] ${fk.dtype} (raw observations; normalization is inside the graph)${noiseText}; outputs "action" and "action_sampled" [N, ${A}] ` +
    `(environment units)${outputsTail} See the gmmrl.metadata property (schema ${METADATA_SCHEMA_VERSION}).`
  );
}
