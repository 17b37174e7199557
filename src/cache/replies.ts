/**
 * Replies built from the cache, and the headers every cached route adds:
 * `X-Cache: HIT|MISS|STALE|BYPASS` and an RFC 9211 `Cache-Status` member.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { Reply } from '../pipeline/types.js';
import { notModified, notModifiedHeaders, type ClientConditions } from './conditional.js';
import { dropBody } from './fill.js';
import { byteRange, type RangeAsk } from './range.js';
import type { CacheEntry } from './types.js';

export type XCache = 'HIT' | 'MISS' | 'STALE' | 'BYPASS';

/** The Cache-Status member name (RFC 9211 §2): this proxy. */
export const CACHE_NAME = 'sono-guard';

/** Add X-Cache and append our Cache-Status member after any the app's own caches set. */
export function tag(h: OutgoingHttpHeaders, x: XCache, status: string): void {
  h['x-cache'] = x;
  const prev = h['cache-status'];
  h['cache-status'] = prev === undefined ? status : `${Array.isArray(prev) ? prev.join(', ') : String(prev)}, ${status}`;
}

/**
 * Answer from a stored response: a copy of its headers with a fresh `Age`
 * (the stored `Date` untouched), a 304 when the client's validators match,
 * or a 206 for one satisfiable byte range.
 */
export function fromEntry(
  e: CacheEntry,
  ageMs: number,
  head: boolean,
  conds: ClientConditions | null,
  range: RangeAsk | null,
  x: XCache,
  status: string,
): Reply {
  const age = String(Math.floor(ageMs / 1000));
  if (conds !== null && notModified(conds, e.status, e.headers)) {
    const h: OutgoingHttpHeaders = notModifiedHeaders(e.headers);
    h.age = age;
    tag(h, x, status);
    return { status: 304, headers: h, body: null };
  }
  const h: OutgoingHttpHeaders = Object.assign({}, e.headers);
  h.age = age;
  const part = range === null ? null : byteRange(range, e, e.body.length);
  if (part !== null) {
    const [first, last] = part;
    h['content-range'] = `bytes ${first}-${last}/${e.body.length}`;
    h['content-length'] = last - first + 1;
    tag(h, x, status);
    return { status: 206, headers: h, body: head ? null : e.body.subarray(first, last + 1) };
  }
  if (e.status !== 204) h['content-length'] = e.body.length;
  tag(h, x, status);
  return { status: e.status, headers: h, body: head || e.status === 204 ? null : e.body };
}

/** 304 for a client whose validators match a fresh upstream 200 (its body goes to the cache, not the client). */
export function notModifiedFromReply(reply: Reply, conds: ClientConditions | null): Reply | null {
  if (conds === null || !notModified(conds, reply.status, reply.headers)) return null;
  return { status: 304, headers: notModifiedHeaders(reply.headers), body: null };
}

/** A pass-through reply, turned into a 304 when the client's validators match (its body is dropped). */
export function passThrough(reply: Reply, conds: ClientConditions | null, x: XCache, status: string): Reply {
  const nm = notModifiedFromReply(reply, conds);
  const out = nm ?? reply;
  if (nm) dropBody(reply);
  tag(out.headers, x, status);
  return out;
}

/** `ttl` parameter (seconds of freshness left; negative when stale). */
export function ttlParam(remainingMs: number): string {
  return `ttl=${Math.trunc(remainingMs / 1000)}`;
}

