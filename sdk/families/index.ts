/**
 * The model-family registry: one implementation module per family of the contract
 * (contract/families.ts), each supplying checkpoint save/load, export, the metadata it writes,
 * parity (verify) and its benchmark model (sdk/families/family.ts). `gmmrl export`, `gmmrl verify`,
 * `checkpointFamily` and bench/ look families up here; nothing else names a family.
 *
 *   familyModule('gamid-actor')   the module of a family id (typed by the id)
 *   familyFor('td3')              by id or alias (td3 → gamid-actor, sac → mixture-actor, …)
 *   FAMILY_MODULES                every module, in the contract's order (MODEL_FAMILIES)
 */
import { FAMILY, MODEL_FAMILIES, familyContract, type ModelFamily } from '../../contract/families.js';
import { dqnFamily } from './dqn.js';
import type { FamilyModule } from './family.js';
import { gamidActorFamily } from './gamid-actor.js';
import { gmmqfFamily } from './gmmqf.js';
import { mixtureActorFamily } from './mixture-actor.js';

export { gmmqfFamily, gmmqfBenchParams } from './gmmqf.js';
export { dqnFamily, dqnBenchParams } from './dqn.js';
export { mixtureActorFamily, mixtureActorBenchParams } from './mixture-actor.js';
export { gamidActorFamily, gamidActorBenchParams } from './gamid-actor.js';
export type { FamilyCheckpoint, FamilyExportOptions, FamilyModule, FamilyParityReport, FamilyVerifyOptions } from './family.js';
export { randomMlp, type BenchModel } from './bench.js';

/** The module of every family id: a Record, so a family without a module (or a module without a family) does not compile. */
const MODULES = {
  [FAMILY.gmmqf]: gmmqfFamily,
  [FAMILY.dqn]: dqnFamily,
  [FAMILY.mixtureActor]: mixtureActorFamily,
  [FAMILY.gamidActor]: gamidActorFamily,
} satisfies Record<ModelFamily, FamilyModule>;

/** The module of family F, with its precise checkpoint and parameter types. */
export type FamilyModuleOf<F extends ModelFamily> = (typeof MODULES)[F];

/** Every family's module, in the contract's order. */
export const FAMILY_MODULES: readonly FamilyModule[] = MODEL_FAMILIES.map((f) => MODULES[f]);

/** A benchmark model of any family (its `spec` discriminates the parameters by family). */
export type AnyBenchModel = { [F in ModelFamily]: ReturnType<FamilyModuleOf<F>['bench']['build']> }[ModelFamily];

/**
 * The benchmark model of `family` (its module's `bench.build(training)`), typed by family through
 * `spec`; `training` is the training record its metadata carries (default BENCH_TRAINING).
 */
export function benchModel(family: ModelFamily, training?: Record<string, unknown>): AnyBenchModel {
  return MODULES[family].bench.build(training);
}

/**
 * The module of the family id `family`: typed precisely for one known id, as the common
 * FamilyModule for any family (a ModelFamily variable).
 */
export function familyModule<F extends ModelFamily>(family: F): [ModelFamily] extends [F] ? FamilyModule : FamilyModuleOf<F> {
  return MODULES[family] as [ModelFamily] extends [F] ? FamilyModule : FamilyModuleOf<F>;
}

/**
 * The module of the family named `name`: a family id or an alias ("td3" is the deterministic actor
 * of family gamid-actor, "sac" a mixture-actor, "sgmmqf" a gmmqf, "double-dqn" a dqn). Throws
 * UnknownNameError naming the known families and aliases.
 */
export function familyFor(name: string): FamilyModule {
  return MODULES[familyContract(name).id];
}
