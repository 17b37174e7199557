import type { Exchange } from '../exchange.js';
import { problem } from '../problem.js';
import type { Handler, Reply, Stage } from '../types.js';
import { takeConditions, type ClientConditions } from '../../cache/conditional.js';
import {
  bufferOf, callUpstream, declaredTooLarge, dropBody, refreshInBackground, register, saver, within,
} from '../../cache/fill.js';
import { assess, staleIfErrorAllowed } from '../../cache/freshness.js';
import { Invalidator, isUnsafe } from '../../cache/invalidate.js';
import { primaryKey, variantKey } from '../../cache/key.js';
import { requestRules, type EntryMeta, type RequestRules } from '../../cache/policy.js';
import { CACHE_NAME, fromEntry, notModifiedFromReply, passThrough, tag, ttlParam } from '../../cache/replies.js';
import type { Filled, Lookup, ResponseCache } from '../../cache/response-cache.js';
import { rangeAsk, type RangeAsk } from '../../cache/range.js';
import { collectBody, teeBody } from '../../cache/tee.js';
import { isPromise } from '../../cache/types.js';

export interface CacheStageOptions {
  /** How long (ms) a coalesced request waits for the leader's response: the route timeout. */
  waitMs: number;
  /** Caches an unsafe request on this route evicts from (normally every cache); default this one. */
  caches?: readonly ResponseCache[];
  /** The route's `invalidates` patterns. */
  invalidates?: readonly string[];
}

/** One request's view of the cache, passed between the steps below. */
interface Ctx {
  cache: ResponseCache;
  primary: string;
  found: Lookup | undefined;
  rq: RequestRules;
  conds: ClientConditions | null;
  /** A Range request: answered from a stored complete 200 with a 206 when it names one satisfiable range. */
  range: RangeAsk | null;
  head: boolean;
  /** HEAD and Range requests are answered from a stored GET but never fill it. */
  fills: boolean;
  waitMs: number;
}

/**
 * The cache stage (SPEC §4, after rate limit, before breaker). GET/HEAD:
 * answer from the store when RFC 9111 allows (synchronously with the memory
 * store), otherwise go upstream once per key and tee the body into the store.
 * Other methods pass through as BYPASS; unsafe ones evict what they changed.
 */
export function cacheStage(cache: ResponseCache, opts: CacheStageOptions): Stage {
  const inv = new Invalidator(opts.caches ?? [cache], opts.invalidates ?? []);
  const vary = cache.def.vary;
  const authInKey = vary.includes('authorization');
  return (next) =>
    async function cached(x: Exchange): Promise<Reply> {
      const m = x.method;
      if (m !== 'GET' && m !== 'HEAD') return other(x, next, inv);
      const h = x.req.headers;
      const rq = requestRules(h, authInKey);
      if (rq.bypass !== null) {
        x.cache = 'BYPASS';
        const reply = await next(x);
        tag(reply.headers, 'BYPASS', `${CACHE_NAME}; fwd=bypass; detail=${rq.bypass}`);
        return reply;
      }
      const primary = primaryKey(x.host, x.path, x.query, h, vary);
      const conds = takeConditions(h);
      const c: Ctx = {
        cache, primary, found: undefined, rq, conds, range: rangeAsk(h), head: m === 'HEAD',
        fills: m === 'GET' && h.range === undefined, waitMs: opts.waitMs,
      };
      const found = cache.lookup(primary, h);
      if (isPromise(found)) {
        return found.then((f) => {
          c.found = f;
          return decide(x, next, c);
        });
      }
      c.found = found;
      return decide(x, next, c);
    };
}

/** Stored and usable → HIT; stale within stale-while-revalidate → STALE plus one background refresh; else upstream. */
function decide(x: Exchange, next: Handler, c: Ctx): Promise<Reply> | Reply {
  const e = c.found?.entry;
  if (e) {
    const a = assess(e, c.rq, c.cache.now());
    if (a.usable) {
      c.cache.countHit();
      x.cache = 'HIT';
      return fromEntry(e, a.ageMs, c.head, c.conds, c.range, 'HIT', `${CACHE_NAME}; hit; ${ttlParam(a.remainingMs)}`);
    }
    if (a.swr && x.req.headers.range === undefined) {
      refreshInBackground(x, next, c.cache, c.primary, c.found!);
      c.cache.countStale();
      x.cache = 'STALE';
      return fromEntry(e, a.ageMs, c.head, c.conds, c.range, 'STALE',
        `${CACHE_NAME}; hit; ${ttlParam(a.remainingMs)}; detail=stale-while-revalidate`);
    }
  }
  if (c.rq.onlyIfCached) {
    x.cache = 'MISS';
    const r = problem(x, 'upstream_timeout', 'only-if-cached: no usable stored response');
    tag(r.headers, 'MISS', `${CACHE_NAME}; fwd=miss; detail=only-if-cached`);
    return r;
  }
  if (c.fills && !c.cache.passing(c.primary)) {
    const flight = c.cache.inflight.get(c.primary);
    return flight ? follow(x, next, c, flight) : fill(x, next, c, true);
  }
  return fill(x, next, c, false);
}

/** Coalesced: wait (bounded) for the leader's entry; if it is unusable for this request, go upstream alone. */
async function follow(x: Exchange, next: Handler, c: Ctx, flight: Promise<Filled | null>): Promise<Reply> {
  const got = await within(flight, c.waitMs);
  if (got !== null && !got.entry.revalidate) {
    const names = got.entry.vary;
    const key = names === null ? c.primary : variantKey(c.primary, names, x.req.headers);
    if (key === got.key) {
      const a = assess(got.entry, c.rq, c.cache.now());
      c.cache.countHit();
      x.cache = 'HIT';
      return fromEntry(got.entry, a.ageMs, c.head, c.conds, c.range, 'HIT', `${CACHE_NAME}; hit; ${ttlParam(a.remainingMs)}; collapsed`);
    }
  }
  return fill(x, next, c, false);
}

function fwdParam(c: Ctx): string {
  if (c.found?.entry) return c.rq.noCache ? 'request' : 'stale';
  return c.found?.marker ? 'vary-miss' : 'uri-miss';
}

/**
 * Upstream on a miss (or to revalidate). The leader registers the key so
 * concurrent misses wait for it; it settles with the stored entry, or with
 * null whenever nothing was stored (error, unstorable, over the size cap,
 * client gone), and the waiters then go upstream themselves: a failed leader
 * never hangs or poisons them.
 */
async function fill(x: Exchange, next: Handler, c: Ctx, lead: boolean): Promise<Reply> {
  const settle = lead ? register(c.cache, c.primary) : noop;
  const fwd = fwdParam(c);
  try {
    const out = await callUpstream(x, next, c.cache, c.primary, c.found, c.fills);
    const now = c.cache.now();
    if (out.kind === 'revalidated') {
      settle(out.filled);
      c.cache.countMiss();
      x.cache = 'MISS';
      const a = assess(out.entry, c.rq, now);
      return fromEntry(out.entry, a.ageMs, c.head, c.conds, c.range, 'MISS',
        `${CACHE_NAME}; fwd=${fwd}; fwd-status=304${out.filled ? '; stored' : ''}`);
    }
    const status = out.reply.status;
    const cs = `${CACHE_NAME}; fwd=${fwd}; fwd-status=${status}`;
    if (out.kind !== 'store') settle(null);
    if (out.kind === 'failed') {
      const stale = c.found?.entry;
      if (stale && staleIfErrorAllowed(stale, c.rq, now)) {
        dropBody(out.reply);
        x.errorCode = null;
        c.cache.countStale();
        x.cache = 'STALE';
        const a = assess(stale, c.rq, now);
        return fromEntry(stale, a.ageMs, c.head, c.conds, c.range, 'STALE', `${cs}; ${ttlParam(a.remainingMs)}; detail=stale-if-error`);
      }
      c.cache.countMiss();
      x.cache = 'MISS';
      tag(out.reply.headers, 'MISS', cs);
      return out.reply;
    }
    c.cache.countMiss();
    x.cache = 'MISS';
    if (out.kind === 'pass') {
      if (lead) c.cache.markPass(c.primary);
      return passThrough(out.reply, c.conds, 'MISS', cs);
    }
    return store(x, c, out.reply, out.meta, lead, settle, cs);
  } catch (err) {
    settle(null);
    throw err;
  }
}

/** A storable response: tee it to the client and the store (or collect it when the client gets a 304). */
function store(
  x: Exchange,
  c: Ctx,
  reply: Reply,
  meta: EntryMeta,
  lead: boolean,
  settle: (v: Filled | null) => void,
  cs: string,
): Reply {
  const cap = c.cache.def.max_entry_bytes;
  if (declaredTooLarge(reply, cap)) {
    settle(null);
    if (lead) c.cache.markPass(c.primary);
    return passThrough(reply, c.conds, 'MISS', cs);
  }
  const save = saver(c.cache, c.primary, x, meta, c.found, settle);
  const body = reply.body;
  if (body === null || Buffer.isBuffer(body)) {
    save(bufferOf(body, cap));
    return passThrough(reply, c.conds, 'MISS', `${cs}; stored`);
  }
  const nm = notModifiedFromReply(reply, c.conds);
  if (nm) {
    void collectBody(body, cap).then(save);
    tag(nm.headers, 'MISS', `${cs}; stored`);
    return nm;
  }
  reply.body = teeBody(body, cap, save);
  tag(reply.headers, 'MISS', `${cs}; stored`);
  return reply;
}

/** Methods other than GET/HEAD pass through (BYPASS); unsafe ones then evict what they changed. */
async function other(x: Exchange, next: Handler, inv: Invalidator): Promise<Reply> {
  x.cache = 'BYPASS';
  const reply = await next(x);
  if (isUnsafe(x.method)) await inv.after(x, reply);
  tag(reply.headers, 'BYPASS', `${CACHE_NAME}; fwd=method`);
  return reply;
}

/**
 * For routes without a cache of their own but with `invalidates` (or, to
 * honour RFC 9111 §4.4 everywhere, any route while caches exist): after a
 * successful unsafe request, evict its URL, Location and Content-Location,
 * and the patterns, from every cache.
 */
export function invalidateStage(caches: readonly ResponseCache[], patterns: readonly string[]): Stage {
  const inv = new Invalidator(caches, patterns);
  return (next) =>
    async function invalidating(x: Exchange): Promise<Reply> {
      const reply = await next(x);
      if (isUnsafe(x.method)) await inv.after(x, reply);
      return reply;
    };
}

function noop(): void {}
