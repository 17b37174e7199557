import type { Redis } from 'ioredis';
import type { StoreGuard } from '../store/guarded.js';
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
  clock?: { now(): number };
}

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

  constructor(o: SharedStoreOptions) {
    this.guard = o.guard;
    this.redis = new RedisCacheStore(o.guard.client, o.prefix, o.cacheName);
    this.local = new MemoryCacheStore({ maxBytes: o.maxBytes, ...(o.clock ? { clock: o.clock } : {}) });
    o.guard.on('recovered', this.onRecovered);
  }

  get(key: string): Promise<StoredValue | undefined> {
    return this.guard.run((): Promise<StoredValue | undefined> => this.redis.get(key), () => this.local.get(key));
  }

  set(key: string, value: StoredValue, ttlMs: number): Promise<void> {
    return this.guard.run(() => this.redis.set(key, value, ttlMs), () => this.local.set(key, value, ttlMs));
  }

  delete(key: string): Promise<void> {
    this.local.delete(key);
    return this.guard.run(() => this.redis.delete(key), () => this.remember(exactMatcher(key)));
  }

  /**
   * Not under the guard's per-call timeout: a purge of a large cache takes
   * several ZSCAN pages and must not trip the store breaker. Each command is
   * still bounded by the client's commandTimeout, and an open guard skips Redis.
   */
  async evict(m: KeyMatcher): Promise<number> {
    const local = this.local.evict(m);
    if (this.guard.health() !== 'operational') {
      this.remember(m);
      return local;
    }
    try {
      return await this.redis.evict(m);
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
    this.local.close();
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
    const todo = this.overflowed ? [ALL_KEYS] : this.pending;
    this.pending = [];
    this.overflowed = false;
    void (async () => {
      for (const m of todo) {
        try {
          await this.redis.evict(m);
        } catch {
          this.remember(m);
        }
      }
    })();
  }
}
