/**
 * Cache-Control parsing (RFC 9111 §5.2) for requests and responses.
 *
 * Directive names are case-insensitive; values may be tokens or quoted strings
 * (a `max-age` inside a quoted extension value is not a directive). A name
 * with whitespace before `=` is not the directive it resembles. When a
 * directive repeats, the first occurrence wins (RFC 9111 §4.2.1 allows that).
 */
export type Directives = ReadonlyMap<string, string | true>;

type HeaderValue = string | string[] | number | undefined;

const EMPTY: Directives = new Map();

export function parseCacheControl(v: HeaderValue): Directives {
  if (v === undefined) return EMPTY;
  const s = Array.isArray(v) ? v.join(', ') : String(v);
  if (s === '') return EMPTY;
  const out = new Map<string, string | true>();
  const n = s.length;
  let i = 0;
  while (i < n) {
    // skip separators and whitespace
    while (i < n && (s[i] === ',' || s[i] === ' ' || s[i] === '\t')) i++;
    if (i >= n) break;
    let j = i;
    while (j < n && s[j] !== '=' && s[j] !== ',') j++;
    const raw = s.slice(i, j);
    const hasValue = j < n && s[j] === '=';
    // `max-age =5` is not max-age: no whitespace may sit inside a name or before `=`
    const name = hasValue ? raw : raw.replace(/[ \t]+$/, '');
    let valid = name.length > 0 && !/[\s"]/.test(name);
    let value: string | true = true;
    if (hasValue) {
      j++;
      if (s[j] === '"') {
        let k = j + 1;
        let text = '';
        while (k < n && s[k] !== '"') {
          if (s[k] === '\\' && k + 1 < n) k++;
          text += s[k];
          k++;
        }
        value = text;
        j = k + 1;
        // anything but whitespace between the closing quote and the next comma is invalid
        let m = j;
        while (m < n && s[m] !== ',') {
          if (s[m] !== ' ' && s[m] !== '\t') valid = false;
          m++;
        }
        j = m;
      } else {
        let k = j;
        while (k < n && s[k] !== ',') k++;
        value = s.slice(j, k).replace(/[ \t]+$/, '');
        j = k;
      }
    }
    const key = name.toLowerCase();
    if (valid && !out.has(key)) out.set(key, value);
    i = j;
  }
  return out;
}

/** delta-seconds capped at 2^31 (RFC 9111 §1.2.2). */
export const MAX_DELTA = 2147483648;

/**
 * The value of a delta-seconds directive: undefined when absent, null when
 * present but not a non-negative integer (e.g. `max-age=a100`, `max-age= 5`).
 */
export function deltaSeconds(d: Directives, name: string): number | null | undefined {
  const v = d.get(name);
  if (v === undefined) return undefined;
  if (v === true || !/^[0-9]+$/.test(v)) return null;
  const n = Number(v);
  return n > MAX_DELTA ? MAX_DELTA : n;
}

/** Field names listed by a qualified `no-cache="a, b"` / `private="a"` (lower-case), or null for the bare form. */
export function fieldNames(v: string | true | undefined): string[] | null {
  if (v === undefined || v === true) return null;
  const names = v.split(',').map((t) => t.trim().toLowerCase()).filter((t) => t.length > 0);
  return names.length > 0 ? names : null;
}
