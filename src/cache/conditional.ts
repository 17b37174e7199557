/**
 * Conditional requests around the cache (RFC 9110 §13, RFC 9111 §4.3):
 * answering a client's If-None-Match / If-Modified-Since from a stored
 * response, and the validators the cache itself sends when revalidating.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { first, type AnyHeaders } from './headers.js';
import { parseHttpDate } from './http-date.js';

/** A client's preconditions, taken off the request so the app is asked for a full response. */
export interface ClientConditions {
  ifNoneMatch: string | undefined;
  ifModifiedSince: string | undefined;
}

export function takeConditions(h: IncomingHttpHeaders): ClientConditions | null {
  const inm = h['if-none-match'];
  const ims = h['if-modified-since'];
  if (inm === undefined && ims === undefined) return null;
  delete h['if-none-match'];
  delete h['if-modified-since'];
  return { ifNoneMatch: inm, ifModifiedSince: ims };
}

/** The opaque part of an entity-tag for weak comparison (RFC 9110 §8.8.3.2): `W/` and quotes dropped. */
function opaque(tag: string): string {
  let t = tag.trim();
  if (t.startsWith('W/') || t.startsWith('w/')) t = t.slice(2);
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) t = t.slice(1, -1);
  return t;
}

/**
 * True when the stored response satisfies the client's conditions, i.e. the
 * answer is 304. If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
 * Without Last-Modified, the stored Date stands in for it (RFC 9111 §4.3.2).
 */
export function notModified(c: ClientConditions, status: number, h: AnyHeaders): boolean {
  if (status !== 200) return false;
  if (c.ifNoneMatch !== undefined) {
    const etag = first(h, 'etag');
    if (c.ifNoneMatch.trim() === '*') return true;
    if (etag === undefined) return false;
    const mine = opaque(etag);
    return c.ifNoneMatch.split(',').some((t) => opaque(t) === mine);
  }
  if (c.ifModifiedSince !== undefined) {
    const since = parseHttpDate(c.ifModifiedSince);
    if (Number.isNaN(since)) return false;
    const lm = parseHttpDate(first(h, 'last-modified') ?? first(h, 'date'));
    return !Number.isNaN(lm) && lm <= since;
  }
  return false;
}

/** Fields a 304 generated from the cache carries (RFC 9110 §15.4.5), plus Last-Modified. */
const NOT_MODIFIED_FIELDS = ['cache-control', 'content-location', 'date', 'etag', 'expires', 'vary', 'last-modified'];

export function notModifiedHeaders(h: AnyHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const k of NOT_MODIFIED_FIELDS) {
    const v = h[k];
    if (v !== undefined) out[k] = Array.isArray(v) ? v : String(v);
  }
  return out;
}

/** The validators to revalidate a stored response with, or null when it has none. */
export function validatorHeaders(etag: string | null, lastModified: string | null): Record<string, string> | null {
  if (etag !== null) {
    const h: Record<string, string> = { 'if-none-match': etag };
    if (lastModified !== null) h['if-modified-since'] = lastModified;
    return h;
  }
  if (lastModified !== null) return { 'if-modified-since': lastModified };
  return null;
}
