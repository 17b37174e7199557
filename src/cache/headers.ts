import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { StoredHeaders } from './types.js';

export type AnyHeaders = OutgoingHttpHeaders | IncomingHttpHeaders | StoredHeaders;

/** The field's value with repeated lines joined by ", " (RFC 9110 §5.3), or undefined. */
export function joined(h: AnyHeaders, name: string): string | undefined {
  const v = h[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(', ') : String(v);
}

/** The first line of a field that must not repeat (Age, ETag, Last-Modified, Date). */
export function first(h: AnyHeaders, name: string): string | undefined {
  const v = h[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v[0] : String(v);
}

/** Lower-cased members of a comma-separated list field (empty members dropped). */
export function tokens(v: string | undefined): string[] {
  if (v === undefined) return [];
  const out: string[] = [];
  for (const t of v.split(',')) {
    const n = t.trim().toLowerCase();
    if (n) out.push(n);
  }
  return out;
}

/**
 * Never stored (RFC 9111 §3.1): hop-by-hop fields, those named in Connection,
 * and fields the cache regenerates (Age) or recomputes (Content-Length).
 */
const NOT_STORED = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade',
  'proxy-authenticate', 'proxy-authentication-info', 'proxy-authorization',
  'age', 'content-length', 'x-cache',
]);

/** Fields a 304 never replaces in the stored response (RFC 9111 §3.2): Content-Length and the unstored ones. */
export function notUpdatable(name: string): boolean {
  return NOT_STORED.has(name);
}

/** A copy of `h` with the unstored fields and the `omit` names removed, values as strings. */
export function storableHeaders(h: AnyHeaders, omit: readonly string[]): StoredHeaders {
  const listed = tokens(joined(h, 'connection'));
  const out: StoredHeaders = {};
  for (const k in h) {
    const v = h[k];
    if (v === undefined || NOT_STORED.has(k) || listed.includes(k) || omit.includes(k)) continue;
    out[k] = Array.isArray(v) ? v.slice() : String(v);
  }
  return out;
}

/** Approximate bytes a header block occupies (names, values, per-field overhead). */
export function headerBytes(h: StoredHeaders): number {
  let n = 0;
  for (const k in h) {
    const v = h[k]!;
    if (Array.isArray(v)) for (const s of v) n += k.length + s.length + 16;
    else n += k.length + v.length + 16;
  }
  return n;
}
