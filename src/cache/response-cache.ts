import type { IncomingHttpHeaders } from 'node:http';
import { LRUCache } from 'lru-cache';
import type { Metrics } from '../observability/metrics.js';
import { trackGauges, untrackGauges } from './gauges.js';
import { pathPatternMatcher, urlMatcher, variantKey } from './key.js';
import { MemoryCacheStore } from './memory-store.js';
import { StringDict } from '../runtime/string-dict.js';
import type { EntryMeta } from './policy.js';
import { isPromise, type CacheDef, type CacheEntry, type CacheStore, type KeyMatcher, type MaybePromise, type StoreStats, type VaryMarker } from './types.js';

/** What a lookup found under a primary key. */
export interface Lookup {
  /** Key of the selected entry (the primary key, or the variant's secondary key). */
  key: string;
  /** null when the response varies and this request's variant is not stored. */
  entry: CacheEntry | null;
  marker: VaryMarker | null;
}

/** A finished fill, handed to coalesced requests waiting on the same key. */
export interface Filled {
  key: string;
  entry: CacheEntry;
}

export interface ResponseCacheOptions {
  /** Defaults to a memory store bounded by `def.max_bytes`. */
  store?: CacheStore;
  metrics?: Metrics | null;
  /** Epoch ms clock (freshness, Age); tests inject one. */
  now?: () => number;
}

interface Inc {
  inc(n?: number): void;
}

/** How long a key whose last response could not be stored skips coalescing ("hit-for-pass"). */
const PASS_MS = 10_000;

/**
 * One named cache (SPEC §3 `caches:`): its store, counters, and the requests
 * in flight per key. One instance per policy name, kept across reloads while
 * the definition is unchanged.
 */
export class ResponseCache {
  readonly name: string;
  readonly def: CacheDef;
  readonly store: CacheStore;
  readonly now: () => number;
  /** Upstream fills in progress, by primary key (coalescing and one refresh per key); one add and one delete per miss. */
  readonly inflight = new StringDict<Promise<Filled | null>>();
  hits = 0;
  misses = 0;
  stale = 0;
  private readonly pass: LRUCache<string, true>;
  private readonly hitCounter: Inc;
  private readonly missCounter: Inc;
  private readonly staleCounter: Inc;
  private readonly metrics: Metrics | null;
  private lastStats: StoreStats = { entries: 0, bytes: 0 };
  private statsRead: Promise<StoreStats> | null = null;

  constructor(name: string, def: CacheDef, opts: ResponseCacheOptions = {}) {
    this.name = name;
    this.def = def;
    this.now = opts.now ?? Date.now;
    const clock = opts.now ? { now: opts.now } : undefined;
    this.store = opts.store ?? new MemoryCacheStore({ maxBytes: def.max_bytes, ...(clock ? { clock } : {}) });
    this.pass = new LRUCache<string, true>({ max: 10_000, ttl: PASS_MS, ...(clock ? { perf: clock, ttlResolution: 0 } : {}) });
    this.metrics = opts.metrics ?? null;
    const m = this.metrics;
    const noop: Inc = { inc: () => {} };
    this.hitCounter = m ? m.cacheHits.labels(name) : noop;
    this.missCounter = m ? m.cacheMisses.labels(name) : noop;
    this.staleCounter = m ? m.cacheStale.labels(name) : noop;
    // Every series exists from the start at 0, so rate() and increase() alerts see the first event.
    for (const c of [this.hitCounter, this.missCounter, this.staleCounter]) c.inc(0);
    if (m) trackGauges(m, this);
  }

  countHit(): void { this.hits++; this.hitCounter.inc(); }
  countMiss(): void { this.misses++; this.missCounter.inc(); }
  countStale(): void { this.stale++; this.staleCounter.inc(); }

  /** The stored response for this request: synchronous with the memory store. */
  lookup(primary: string, h: IncomingHttpHeaders): MaybePromise<Lookup | undefined> {
    const got = safe(this.store.get(primary));
    if (isPromise(got)) return got.then((v) => (v === undefined ? undefined : this.select(primary, v, h)));
    return got === undefined ? undefined : this.select(primary, got, h);
  }

  private select(primary: string, v: CacheEntry | VaryMarker, h: IncomingHttpHeaders): MaybePromise<Lookup> {
    if (v.kind === 'entry') return { key: primary, entry: v, marker: null };
    const key = variantKey(primary, v.names, h);
    const got = safe(this.store.get(key));
    const pick = (e: CacheEntry | VaryMarker | undefined): Lookup => ({ key, entry: e?.kind === 'entry' ? e : null, marker: v });
    return isPromise(got) ? got.then(pick) : pick(got);
  }

  /** Store a response; with its own Vary, under its variant key plus a marker at the primary key. */
  save(primary: string, h: IncomingHttpHeaders, meta: EntryMeta, body: Buffer, ttlMs: number, marker: VaryMarker | null): Filled {
    const entry: CacheEntry = { ...meta, body };
    if (entry.vary === null) {
      this.track(this.store.set(primary, entry, ttlMs));
      return { key: primary, entry };
    }
    const names = [...entry.vary].sort();
    const key = variantKey(primary, names, h);
    const now = this.now();
    let expiresAt = now + ttlMs;
    if (marker && marker.names.join() === names.join()) expiresAt = Math.max(expiresAt, marker.expiresAt);
    this.track(this.store.set(primary, { kind: 'vary', names, expiresAt }, expiresAt - now));
    this.track(this.store.set(key, entry, ttlMs));
    return { key, entry };
  }

  remove(key: string): void {
    this.track(this.store.delete(key));
  }

  /**
   * Writes to a remote store still in progress (awaited by flush() and
   * close()): counted, not kept in a Set, which would churn at request rate
   * (see runtime/string-dict.ts).
   */
  private pendingWrites = 0;
  private drained: Array<() => void> = [];

  private track(w: MaybePromise<void>): void {
    if (!isPromise(w)) return;
    this.pendingWrites++;
    void w.catch(() => undefined).then(() => {
      if (--this.pendingWrites > 0) return;
      const waiting = this.drained;
      this.drained = [];
      for (const resolve of waiting) resolve();
    });
  }

  /** Resolves once every store write started so far, and any started meanwhile, has finished. */
  flush(): Promise<void> {
    if (this.pendingWrites === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  /** Skip coalescing for a key whose responses are not storable. */
  markPass(primary: string): void { this.pass.set(primary, true); }
  passing(primary: string): boolean { return this.pass.get(primary) === true; }

  /** POST /admin/cache/purge: evict entries whose path matches a route-syntax pattern. */
  purge(pathPattern: string): Promise<number> {
    return this.evict(pathPatternMatcher(pathPattern));
  }

  /** Evict entries matching any of the patterns (a route's `invalidates`). */
  async invalidate(patterns: readonly string[] | readonly KeyMatcher[]): Promise<number> {
    let n = 0;
    for (const p of patterns) n += await this.evict(typeof p === 'string' ? pathPatternMatcher(p) : p);
    return n;
  }

  /** Evict every variant of one URL (RFC 9111 §4.4). */
  invalidateUrl(host: string, path: string, query: string): Promise<number> {
    return this.evict(urlMatcher(host, path, query));
  }

  async evict(m: KeyMatcher): Promise<number> {
    try {
      return await this.store.evict(m);
    } catch {
      return 0;
    }
  }

  /** Entries and bytes, read from the store (Redis: one round trip). */
  statsAsync(): Promise<StoreStats> {
    if (!this.statsRead) {
      this.statsRead = Promise.resolve()
        .then(() => this.store.stats())
        .then((s) => (this.lastStats = s), () => this.lastStats)
        .finally(() => { this.statsRead = null; });
    }
    return this.statsRead;
  }

  /** For /api/v1/status/system. A remote store reports the last value read (refreshed in the background). */
  snapshot(): { entries: number; bytes: number; hits: number; misses: number; stale: number; hit_ratio: number } {
    const s = this.store.stats();
    if (isPromise(s)) void this.statsAsync();
    else this.lastStats = s;
    const served = this.hits + this.stale;
    const total = served + this.misses;
    return {
      entries: this.lastStats.entries,
      bytes: this.lastStats.bytes,
      hits: this.hits,
      misses: this.misses,
      stale: this.stale,
      hit_ratio: total === 0 ? 0 : Math.round((served / total) * 10_000) / 10_000,
    };
  }

  async close(): Promise<void> {
    if (this.metrics) untrackGauges(this.metrics, this);
    this.inflight.clear();
    await this.flush();
    await this.store.close();
  }
}

/** A store call that never rejects: a failed read is a miss, a failed write is skipped. */
function safe<T>(v: MaybePromise<T>): MaybePromise<T | undefined> {
  return isPromise(v) ? v.catch(() => undefined) : v;
}
