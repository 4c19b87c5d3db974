/**
 * "Did you mean …?": the nearest known name to a misspelled one. Shared by the config specs, the
 * flag parser and the environment registry (which the browser page bundles, so it lives here, with
 * no dependency).
 */

/**
 * The closest candidate to `name` by edit distance (case-insensitive), if close enough to be a
 * plausible typo: at most 2 edits, and fewer than half the name's length.
 */
export function nearestName(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    // ties go to the candidate of the name's length ("sgn": "sgm" before "sg")
    if (d < bestD || (d === bestD && best !== undefined && Math.abs(c.length - name.length) < Math.abs(best.length - name.length))) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= 2 && bestD < name.length / 2 ? best : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i]!;
      row[j] = Math.min(d[i - 1]![j]! + 1, row[j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}
