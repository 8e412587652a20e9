/** Hints for problem messages. Hand-written: a 10-line edit distance is not worth a dependency. */

/** Edit distance (Levenshtein), for "did you mean" hints on short names. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** `; did you mean 'x'?` for the closest known name within 2 edits, or ''. */
export function didYouMean(name: string, known: Iterable<string>): string {
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const d = distance(name.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best === undefined ? '' : `; did you mean '${best}'?`;
}
