/** The library version, written into checkpoints and exported graphs. Kept equal to package.json (tested). */
export const GMMRL_VERSION = '0.1.0';
