/**
 * Cache keys. Primary key: `GET\n<path>\n<host>\n<sorted query>\n<vary hash>`
 * (HEAD shares the GET entry), where the vary hash covers the policy's `vary`
 * request headers. The path comes first so that every key under a path
 * pattern shares a literal prefix: invalidation reads a key range, not the
 * whole cache. A response with its own `Vary` is stored under a secondary
 * key: the primary key plus a hash of the request's values for those fields.
 * Header values are hashed so keys stay short and credentials (when
 * `authorization` is in `vary`) never appear in a key or in Redis.
 * CR/LF cannot occur in a request target or a header value, so `\n` is a safe
 * separator.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { compilePattern } from '../routing/pattern.js';
import type { KeyMatcher, MatcherSpec } from './types.js';

/** `?b=2&a=1` → `?a=1&b=2`; parameters of one name keep their order (they may form a list). */
export function sortQuery(q: string): string {
  if (q === '' || q.indexOf('&') === -1) return q;
  const parts = q.slice(1).split('&').filter((p) => p !== '');
  const name = (p: string) => {
    const i = p.indexOf('=');
    return i === -1 ? p : p.slice(0, i);
  };
  parts.sort((a, b) => {
    const x = name(a);
    const y = name(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return parts.length > 0 ? '?' + parts.join('&') : '';
}

export function urlPrefix(host: string, path: string, sortedQuery: string): string {
  return `GET\n${path}\n${host}\n${sortedQuery}\n`;
}

/**
 * A selecting header's value, normalised (RFC 9111 §4.1 allows it): repeated
 * lines combined, whitespace around commas removed. Absent stays distinct from empty.
 */
export function normalizeField(v: string | string[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  const s = Array.isArray(v) ? v.join(',') : v;
  if (s.indexOf(',') === -1) return s.trim();
  return s.split(',').map((t) => t.trim()).join(',');
}

/**
 * Digests of recent selecting-header strings. A SHA-1 per lookup was ~5 % of
 * a cache HIT's profile, and the values that select variants (Accept,
 * Accept-Encoding, Accept-Language) take few distinct values. Bounded, and
 * emptied when full. Values of credential fields are never kept here.
 */
const digests = new Map<string, string>();
const MAX_DIGESTS = 1024;
const MAX_MEMO_CHARS = 256;
const CREDENTIALS = /^(?:authorization|proxy-authorization|cookie)$/;

function hashFields(names: readonly string[], h: IncomingHttpHeaders): string {
  let s = '';
  let memo = true;
  for (const n of names) {
    const v = normalizeField(h[n]);
    s += v === undefined ? `${n}\u0000` : `${n}=${v}\u0000`;
    if (memo && CREDENTIALS.test(n)) memo = false;
  }
  if (!memo || s.length > MAX_MEMO_CHARS) return sha1(s);
  let d = digests.get(s);
  if (d === undefined) {
    if (digests.size >= MAX_DIGESTS) digests.clear();
    d = sha1(s);
    digests.set(s, d);
  }
  return d;
}

const sha1 = (s: string) => createHash('sha1').update(s).digest('base64url');

export function primaryKey(host: string, path: string, query: string, h: IncomingHttpHeaders, vary: readonly string[]): string {
  const base = urlPrefix(host, path, sortQuery(query));
  return vary.length === 0 ? base : base + hashFields(vary, h);
}

/** The key of the variant selected by `names` (the stored response's Vary) for these request headers. */
export function variantKey(primary: string, names: readonly string[], h: IncomingHttpHeaders): string {
  return `${primary}\n${hashFields([...names].sort(), h)}`;
}

/** The path field of a key (after `GET\n`, up to the next `\n`). */
export function keyPath(key: string): string {
  return key.slice(4, key.indexOf('\n', 4));
}

/** Every entry of one URL (all variants). */
export function urlMatcher(host: string, path: string, query: string): KeyMatcher {
  const prefix = urlPrefix(host, path, sortQuery(query));
  return { prefix, test: (k) => k.startsWith(prefix), spec: ['url', host, path, query] };
}

/** Exactly one key. */
export function exactMatcher(key: string): KeyMatcher {
  return { prefix: key, test: (k) => k === key, spec: ['key', key] };
}

/** Every entry whose path matches a route-syntax pattern (`*` one segment, `**` the rest), any host and query. */
export function pathPatternMatcher(pattern: string): KeyMatcher {
  const matches = compilePattern(pattern);
  const wild = pattern.search(/\/\*/);
  // literal part before the first wildcard segment; `/docs/**` also matches `/docs` itself
  const literal = wild === -1 ? pattern + '\n' : pattern.slice(0, pattern.endsWith('/**') && wild === pattern.length - 3 ? wild : wild + 1);
  return { prefix: `GET\n${literal}`, test: (k) => matches(keyPath(k)), spec: ['pattern', pattern] };
}

/** Every entry. */
export const ALL_KEYS: KeyMatcher = { prefix: 'GET\n', test: () => true, spec: ['all'] };

/** The matcher a spec describes; null for anything else (a message from a newer or foreign writer). */
export function matcherFromSpec(s: unknown): KeyMatcher | null {
  if (!Array.isArray(s) || !s.every((x) => typeof x === 'string')) return null;
  const a = s as string[];
  switch (a[0]) {
    case 'all':
      return a.length === 1 ? ALL_KEYS : null;
    case 'key':
      return a.length === 2 ? exactMatcher(a[1]!) : null;
    case 'url':
      return a.length === 4 ? urlMatcher(a[1]!, a[2]!, a[3]!) : null;
    case 'pattern':
      if (a.length !== 2 || !a[1]!.startsWith('/')) return null;
      try {
        return pathPatternMatcher(a[1]!);
      } catch {
        return null;
      }
    default:
      return null;
  }
}

export type { MatcherSpec };
