// Copies a compiled tree's .js and .d.ts files without their source-map comments and leaves the
// maps out: a published package ships no maps, which would point at sources it does not contain.
// Used by scripts/postbuild.mjs (runtime/dist) and scripts/pack.mjs (the SDK package).
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function copyCompiled(from, to) {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, entry.name);
    if (entry.isDirectory()) copyCompiled(src, join(to, entry.name));
    else if (entry.name.endsWith('.js') || entry.name.endsWith('.d.ts')) {
      writeFileSync(join(to, entry.name), readFileSync(src, 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'));
    }
  }
}
