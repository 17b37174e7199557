import type { Redis } from 'ioredis';
import type { StoreGuard } from '../store/guarded.js';
import type { InvalidationBus, NearListener } from './bus.js';
import { ALL_KEYS, exactMatcher } from './key.js';
import { MemoryCacheStore } from './memory-store.js';
import { RedisCacheStore } from './redis-store.js';
import type { CacheStore, KeyMatcher, StoreStats, StoredValue } from './types.js';

export interface SharedStoreOptions {
  /** The guarded connection shared with rate limiting (src/store/redis.ts). */
  guard: StoreGuard<Redis>;
  /** `store.prefix`. */
  prefix: string;
  cacheName: string;
  /** Bound of the per-replica fallback (the cache's `max_bytes`). */
  maxBytes: number;
  /** Near copies: ms a copy read from Redis answers hits without a round trip, and the channel that evicts them; absent or 0: none. */
  near?: { ttlMs: number; bus: InvalidationBus } | null;
  clock?: { now(): number };
}

/** Most bytes of near copies per cache: they are the hot few, not a second cache. */
const NEAR_MAX_BYTES = 16 * 1024 * 1024;

/** Evictions remembered while Redis is unreachable, replayed when it returns. */
const MAX_PENDING = 1000;

/**
 * `store.kind: redis` for one cache: Redis behind the shared store guard
 * (timeout, internal breaker, recovery), with a per-replica memory store as
 * the fallback, so a Redis outage turns into cache misses and local entries,
 * never into an error. Stages never see a Redis failure.
 *
 * While Redis is out, purges and invalidations apply to the fallback and are
 * queued (bounded; past the bound the whole cache is flushed instead) and
 * replayed into Redis once it is back, so an entry evicted during the outage
 * does not come back from Redis afterwards. On recovery the fallback is
 * dropped: shared entries are authoritative again, and local ones must not
 * resurface in a later outage after other replicas purged them.
 */
export class SharedCacheStore implements CacheStore {
  readonly redis: RedisCacheStore;
  readonly local: MemoryCacheStore;
  private readonly guard: StoreGuard<Redis>;
  private pending: KeyMatcher[] = [];
  private overflowed = false;
  private readonly onRecovered = () => this.recovered();

  /**
   * Copies of entries read from (or written to) Redis, answering hits for
   * `near.ttlMs` without a round trip: a Redis HIT otherwise costs an ioredis
   * command, a timer and a decode per request (measured at 2–3× a memory HIT).
   * A copy is judged for freshness like any stored response, so serving it is
   * what RFC 9111 allows; what it could miss is another replica's eviction,
   * which is why every eviction is published (bus.ts) and copies are only used
   * while the subscription is live.
   */
  private readonly near: MemoryCacheStore | null;
  private readonly nearTtl: number;
  private readonly bus: InvalidationBus | null;
  private readonly cacheName: string;
  private readonly nearListener: NearListener;
  /**
   * Evictions heard so far. A Redis read is kept as a copy only if none was
   * heard while it was in flight: the read may have been answered just before
   * another replica's eviction, whose message arrives on another connection
   * and may be processed first.
   */
  private evictions = 0;

  constructor(o: SharedStoreOptions) {
    this.guard = o.guard;
    this.cacheName = o.cacheName;
    this.redis = new RedisCacheStore(o.guard.client, o.prefix, o.cacheName);
    const clock = o.clock ? { clock: o.clock } : {};
    this.local = new MemoryCacheStore({ maxBytes: o.maxBytes, ...clock });
    const near = o.near && o.near.ttlMs > 0 ? o.near : null;
    this.near = near ? new MemoryCacheStore({ maxBytes: Math.min(o.maxBytes, NEAR_MAX_BYTES), ...clock }) : null;
    this.nearTtl = near?.ttlMs ?? 0;
    this.bus = near?.bus ?? null;
    this.nearListener = {
      evicted: (m) => {
        this.evictions++;
        this.near?.evict(m);
      },
      reset: () => {
        this.evictions++;
        this.near?.clear();
      },
    };
    this.bus?.on(this.cacheName, this.nearListener);
    o.guard.on('recovered', this.onRecovered);
  }

  /** Near copies are used only while every eviction would reach them. */
  private nearLive(): boolean {
    return this.near !== null && this.bus!.live && this.guard.health() === 'operational';
  }

  get(key: string): Promise<StoredValue | undefined> | StoredValue {
    if (this.nearLive()) {
      const v = this.near!.get(key);
      if (v !== undefined) return v;
      const seen = this.evictions;
      return this.guard.run(async (): Promise<StoredValue | undefined> => {
        const got = await this.redis.get(key);
        if (got !== undefined && seen === this.evictions && this.nearLive()) this.near!.set(key, got, this.nearTtl);
        return got;
      }, () => this.local.get(key));
    }
    return this.guard.run((): Promise<StoredValue | undefined> => this.redis.get(key), () => this.local.get(key));
  }

  set(key: string, value: StoredValue, ttlMs: number): Promise<void> {
    if (this.nearLive()) this.near!.set(key, value, Math.min(ttlMs, this.nearTtl));
    return this.guard.run(() => this.redis.set(key, value, ttlMs), () => this.local.set(key, value, ttlMs));
  }

  delete(key: string): Promise<void> {
    this.local.delete(key);
    this.evictions++;
    this.near?.delete(key);
    return this.guard.run(async () => {
      await this.redis.delete(key);
      await this.announce(exactMatcher(key));
    }, () => this.remember(exactMatcher(key)));
  }

  /** Tell the other replicas to drop their near copies of what was just evicted from Redis. */
  private announce(m: KeyMatcher): Promise<void> {
    return this.bus ? this.bus.publish(this.cacheName, m) : Promise.resolve();
  }

  /**
   * Not under the guard's per-call timeout: a purge of a large cache takes
   * several ZSCAN pages and must not trip the store breaker. Each command is
   * still bounded by the client's commandTimeout, and an open guard skips Redis.
   */
  async evict(m: KeyMatcher): Promise<number> {
    const local = this.local.evict(m);
    this.evictions++;
    this.near?.evict(m);
    if (this.guard.health() !== 'operational') {
      this.remember(m);
      return local;
    }
    try {
      const n = await this.redis.evict(m);
      await this.announce(m);
      return n;
    } catch {
      this.remember(m);
      return local;
    }
  }

  stats(): Promise<StoreStats> {
    return this.guard.run(() => this.redis.stats(), () => this.local.stats());
  }

  close(): void {
    this.guard.off('recovered', this.onRecovered);
    this.bus?.off(this.cacheName, this.nearListener);
    this.local.close();
    this.near?.close();
  }

  private remember(m: KeyMatcher): void {
    if (this.overflowed) return;
    if (this.pending.length >= MAX_PENDING) {
      this.pending = [];
      this.overflowed = true;
      return;
    }
    this.pending.push(m);
  }

  private recovered(): void {
    this.local.clear();
    this.near?.clear();
    const todo = this.overflowed ? [ALL_KEYS] : this.pending;
    this.pending = [];
    this.overflowed = false;
    void (async () => {
      for (const m of todo) {
        try {
          await this.redis.evict(m);
          await this.announce(m);
        } catch {
          this.remember(m);
        }
      }
    })();
  }
}
