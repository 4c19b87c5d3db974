/** The seeded generator, defined in the shared contract (contract/rng.ts) so exported policies sample with the same stream. */
export { Rng, type RngState } from '../../contract/rng.js';
