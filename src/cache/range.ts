/**
 * Byte ranges served from a stored complete response (RFC 9110 §14): one
 * satisfiable `bytes=` range becomes a 206; anything else (several ranges,
 * other units, unsatisfiable, an If-Range that does not match) is answered
 * with the full 200, which a server may always do.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { CacheEntry } from './types.js';

/** What a Range request asks, taken from its headers once. */
export interface RangeAsk {
  range: string;
  ifRange: string | undefined;
}

export function rangeAsk(h: IncomingHttpHeaders): RangeAsk | null {
  const range = h.range;
  if (range === undefined) return null;
  const ifRange = h['if-range'];
  return { range, ifRange: Array.isArray(ifRange) ? ifRange[0] : ifRange };
}

const SPEC = /^bytes=[ \t]*(\d*)[ \t]*-[ \t]*(\d*)[ \t]*$/i;

/** The inclusive [first, last] bytes to send, or null to send everything. */
export function byteRange(ask: RangeAsk, e: Pick<CacheEntry, 'status' | 'etag' | 'lastModified'>, size: number): [number, number] | null {
  if (e.status !== 200 || size === 0 || !ifRangeHolds(ask.ifRange, e)) return null;
  const m = SPEC.exec(ask.range.trim());
  if (!m) return null;
  const [, a = '', b = ''] = m;
  if (a === '') {
    if (b === '') return null;
    const n = Number(b); // suffix: the last n bytes
    return n === 0 ? null : [Math.max(0, size - n), size - 1];
  }
  const first = Number(a);
  if (first >= size) return null;
  const last = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  return last < first ? null : [first, last];
}

/** If-Range (RFC 9110 §13.1.5): a strong ETag or the exact Last-Modified date. */
function ifRangeHolds(v: string | undefined, e: Pick<CacheEntry, 'etag' | 'lastModified'>): boolean {
  if (v === undefined) return true;
  const t = v.trim();
  if (t.startsWith('"') || t.startsWith('W/')) return e.etag !== null && !e.etag.startsWith('W/') && t === e.etag;
  return e.lastModified !== null && t === e.lastModified;
}
