/**
 * Going upstream on behalf of the cache: one call (conditional when a stale
 * entry has validators), what its answer means for the cache, the leader that
 * streams to its client while teeing into the store, the followers that wait
 * for the leader's entry, and the background refresh of stale-while-revalidate.
 */
import { Cancel, type Exchange } from '../pipeline/exchange.js';
import type { Handler, Reply } from '../pipeline/types.js';
import { joinChunks } from './codec.js';
import { validatorHeaders } from './conditional.js';
import { first, notUpdatable } from './headers.js';
import { formatHttpDate } from './http-date.js';
import { analyzeResponse, keepMs, type EntryMeta } from './policy.js';
import type { Filled, Lookup, ResponseCache } from './response-cache.js';
import { collectBody } from './tee.js';
import { discardBody } from '../forward/body.js';
import type { CacheEntry, StoredHeaders } from './types.js';

export type Outcome =
  /** A 304 refreshed the stored response; `filled` is null when the refreshed one may no longer be stored. */
  | { kind: 'revalidated'; entry: CacheEntry; filled: Filled | null }
  /** 5xx, or no answer at all (connect error, timeout, reset, circuit open). */
  | { kind: 'failed'; reply: Reply }
  | { kind: 'pass'; reply: Reply; reason: string }
  | { kind: 'store'; reply: Reply; meta: EntryMeta };

/**
 * Send the request on (`next`), adding the stored validators, and classify the
 * answer. `storable` is false for HEAD and Range requests: their 200 carries
 * no (or part of the) body and must never become the GET entry.
 */
export async function callUpstream(
  x: Exchange,
  next: Handler,
  cache: ResponseCache,
  primary: string,
  found: Lookup | undefined,
  storable: boolean,
): Promise<Outcome> {
  const stale = found?.entry ?? null;
  const validators = stale ? validatorHeaders(stale.etag, stale.lastModified) : null;
  if (validators) x.upstreamHeaders = x.upstreamHeaders ? { ...x.upstreamHeaders, ...validators } : validators;
  const requestTime = cache.now();
  const reply = await next(x);
  const responseTime = cache.now();
  if (reply.status === 304 && stale && validators) {
    dropBody(reply);
    return freshen(cache, primary, x, found!, reply, requestTime, responseTime);
  }
  if (reply.status >= 500 || x.upstreamFailure !== null) return { kind: 'failed', reply };
  if (!storable) return { kind: 'pass', reply, reason: 'method' };
  const v = analyzeResponse({ status: reply.status, headers: reply.headers, requestTime, responseTime }, cache.def);
  if (!v.ok) return { kind: 'pass', reply, reason: v.reason };
  return { kind: 'store', reply, meta: v.meta };
}

/**
 * RFC 9111 §4.3.4: a 304 replaces the stored header fields it carries (not
 * Content-Length or hop-by-hop ones) and restarts the age calculation. A 304
 * without Date gets the time it arrived, or the old Date would make the
 * refreshed entry stale at once.
 */
function freshen(
  cache: ResponseCache,
  primary: string,
  x: Exchange,
  found: Lookup,
  reply: Reply,
  requestTime: number,
  responseTime: number,
): Outcome {
  const stale = found.entry!;
  const headers: StoredHeaders = { ...stale.headers };
  for (const k in reply.headers) {
    const v = reply.headers[k];
    if (v === undefined || (notUpdatable(k) && k !== 'age')) continue;
    headers[k] = Array.isArray(v) ? v.slice() : String(v);
  }
  if (reply.headers.date === undefined) headers.date = formatHttpDate(responseTime);
  const v = analyzeResponse({ status: stale.status, headers, requestTime, responseTime }, cache.def);
  if (!v.ok) {
    cache.remove(found.key);
    delete headers.age;
    return { kind: 'revalidated', entry: { ...stale, headers, requestTime, responseTime, initialAgeMs: 0 }, filled: null };
  }
  const filled = cache.save(primary, x.req.headers, v.meta, stale.body, keepMs(v.meta, responseTime), found.marker);
  return { kind: 'revalidated', entry: filled.entry, filled };
}

/** Register a fill for `primary`; the returned function settles it once (later calls are ignored). */
export function register(cache: ResponseCache, primary: string): (v: Filled | null) => void {
  let resolve!: (v: Filled | null) => void;
  const p = new Promise<Filled | null>((r) => (resolve = r));
  cache.inflight.set(primary, p);
  return (v) => {
    if (cache.inflight.get(primary) === p) cache.inflight.delete(primary);
    resolve(v);
  };
}

/** Store a finished body and hand the entry to waiting requests. */
export function saver(
  cache: ResponseCache,
  primary: string,
  x: Exchange,
  meta: EntryMeta,
  found: Lookup | undefined,
  settle: (v: Filled | null) => void,
): (body: Buffer | null) => void {
  return (body) => {
    if (body === null) return settle(null);
    const ttl = keepMs(meta, cache.now());
    settle(ttl > 0 ? cache.save(primary, x.req.headers, meta, body, ttl, found?.marker ?? null) : null);
  };
}

/**
 * stale-while-revalidate: refresh one key in the background, at most once at
 * a time (the in-flight map doubles as the "refreshing" set). The refresh runs
 * on its own copy of the exchange so the client leaving does not abort it.
 */
export function refreshInBackground(x: Exchange, next: Handler, cache: ResponseCache, primary: string, found: Lookup): void {
  if (cache.inflight.has(primary)) return;
  const settle = register(cache, primary);
  const bx = forkExchange(x);
  const cap = cache.def.max_entry_bytes;
  callUpstream(bx, next, cache, primary, found, true).then(
    async (out) => {
      if (out.kind === 'revalidated') return settle(out.filled);
      if (out.kind !== 'store') {
        dropBody(out.reply);
        return settle(null);
      }
      const body = out.reply.body;
      const save = saver(cache, primary, bx, out.meta, found, settle);
      if (body === null || Buffer.isBuffer(body)) return save(bufferOf(body, cap));
      save(await collectBody(body, cap));
    },
    () => settle(null),
  );
}

/** A Buffer body within the cap as its own right-sized copy, else null. */
export function bufferOf(body: Buffer | null, cap: number): Buffer | null {
  if (body === null) return Buffer.alloc(0);
  return body.length <= cap ? joinChunks([body], body.length) : null;
}

/** Declared Content-Length above the cap: no point collecting. */
export function declaredTooLarge(reply: Reply, cap: number): boolean {
  const n = Number(first(reply.headers, 'content-length'));
  return Number.isFinite(n) && n > cap;
}

/** Wait for a leader's fill, at most `ms`; null on timeout or failure. */
export function within(p: Promise<Filled | null>, ms: number): Promise<Filled | null> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(null), ms);
    t.unref?.();
    p.then(
      (v) => { clearTimeout(t); resolve(v); },
      () => { clearTimeout(t); resolve(null); },
    );
  });
}

/** A copy of the exchange for a background call: GET, its own abort signal, no recorded facts. */
function forkExchange(x: Exchange): Exchange {
  const f = Object.assign(Object.create(Object.getPrototypeOf(x) as object) as Exchange, x);
  return Object.assign(f, {
    abort: new Cancel(), method: 'GET', upstreamHeaders: null,
    upstreamFailure: null, upstreamMs: -1, errorCode: null, cache: null,
  });
}

/**
 * Discard a body nobody will read (a 304, an error replaced by a stale copy).
 * Short bodies are drained so the upstream connection stays reusable; long or
 * unknown ones are destroyed.
 */
export function dropBody(reply: Reply): void {
  const len = Number(first(reply.headers, 'content-length'));
  discardBody(reply.body, reply.status === 304 || reply.status === 204 || (Number.isFinite(len) && len <= DRAIN_LIMIT));
}

const DRAIN_LIMIT = 64 * 1024;

