/** The seeded generator, defined in the runtime (runtime/rng.ts) so exported policies sample with the same stream. */
export { Rng } from '../../runtime/rng.js';
