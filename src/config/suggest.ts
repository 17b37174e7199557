/** "did you mean" hints for misspelt keys, names and enum values. */

/**
 * Edit distance counting an insert, a delete, a substitution or a swap of two
 * neighbouring characters as one edit (optimal string alignment), case-insensitive:
 * `cahce` is one edit from `cache`, the most common typo there is.
 */
export function editDistance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      row[j] = d;
    }
    prev2 = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The closest candidate within a third of its length (at least one edit), else
 * the one candidate the input is a prefix of (`mem` → `memory`), or null.
 */
export function closest(input: string, candidates: Iterable<string>): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  const list = [...candidates];
  for (const c of list) {
    const d = editDistance(input, c);
    const limit = Math.max(1, Math.floor(Math.max(input.length, c.length) / 3));
    if (d <= limit && d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  if (best !== null || input.length < 3) return best;
  const prefixed = list.filter((c) => c.toLowerCase().startsWith(input.toLowerCase()));
  return prefixed.length === 1 ? prefixed[0]! : null;
}

/** ` (did you mean "x"?)`, or an empty string when nothing is close. */
export function didYouMean(input: string, candidates: Iterable<string>): string {
  const c = closest(input, candidates);
  return c === null ? '' : ` (did you mean "${c}"?)`;
}
