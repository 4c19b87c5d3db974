/**
 * Editing a checkpoint's config.json in a spec the way a hand edit would, minus its config_sha256:
 * the file then reads as a checkpoint written before gmmrl recorded that digest, so the specs reach
 * the field checks themselves (an edit of a digest-protected config is refused by the digest first,
 * which spec/models/checkpoint-files.spec.ts tests on its own).
 */
import { readFileSync, writeFileSync } from 'node:fs';

export function editCheckpointConfig<T = Record<string, any>>(path: string, mutate: (c: T) => void): void {
  const c = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  mutate(c as T);
  delete c['config_sha256'];
  writeFileSync(path, JSON.stringify(c));
}
