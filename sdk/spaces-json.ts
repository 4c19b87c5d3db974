/** JSON form of spaces for checkpoints and metadata (non-finite bounds → null). */
import type { Space } from './envs/index.js';
import type { SpaceJson } from '../models/gmmqf/checkpoint.js';

export function spaceToJson(space: Space): SpaceJson {
  if (space.kind === 'discrete') return { kind: 'discrete', n: space.n };
  const f = (v: number) => (Number.isFinite(v) ? v : null);
  return { kind: 'box', shape: [...space.shape], low: Array.from(space.low, f), high: Array.from(space.high, f) };
}
