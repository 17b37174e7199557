/**
 * Path patterns of the policy file: literal segments, `*` for exactly one
 * segment, `**` (last segment only) for any rest, including nothing:
 * `/docs/**` matches `/docs`, `/docs/` and `/docs/a/b`.
 *
 * Each pattern is compiled once into the cheapest test that decides it: a
 * string comparison for literal paths, a prefix test for `/prefix/**`, a
 * regular expression otherwise.
 */
export type PathMatcher = (path: string) => boolean;

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function compilePattern(pattern: string): PathMatcher {
  const segs = pattern.split('/').slice(1);
  const wild = segs.some((s) => s === '*' || s === '**');
  if (!wild) return (p) => p === pattern;
  const last = segs[segs.length - 1];
  const head = segs.slice(0, -1);
  if (last === '**' && !head.includes('*')) {
    const prefix = head.length ? '/' + head.join('/') : '';
    const withSlash = prefix + '/';
    return (p) => p === prefix || p.startsWith(withSlash);
  }
  let re = '^';
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    if (s === '**') re += '(?:/.*)?';
    else if (s === '*') re += '/[^/]+';
    else re += '/' + escapeRe(s);
  }
  const rx = new RegExp(re + '$');
  return (p) => rx.test(p);
}
