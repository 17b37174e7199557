import { LRUCache } from 'lru-cache';
import { valueSize } from './codec.js';
import type { CacheStore, KeyMatcher, StoreStats, StoredValue } from './types.js';

export interface MemoryStoreOptions {
  /** LRU bound in bytes (headers, bodies and a fixed per-entry overhead). */
  maxBytes: number;
  /** Clock for entry TTLs (tests inject one); defaults to performance.now. */
  clock?: { now(): number };
}

/**
 * The per-process store: lru-cache bounded by bytes, one TTL per entry, every
 * call synchronous so a hit costs no await. Entries are immutable once set.
 */
export class MemoryCacheStore implements CacheStore {
  private readonly lru: LRUCache<string, StoredValue>;

  constructor(opts: MemoryStoreOptions) {
    this.lru = new LRUCache<string, StoredValue>({
      maxSize: opts.maxBytes,
      maxEntrySize: opts.maxBytes,
      sizeCalculation: valueSize,
      // expired entries are dropped when touched or pushed out by the LRU: no timers
      ttlAutopurge: false,
      allowStale: false,
      ...(opts.clock ? { perf: opts.clock, ttlResolution: 0 } : {}),
    });
  }

  get(key: string): StoredValue | undefined {
    return this.lru.get(key);
  }

  set(key: string, value: StoredValue, ttlMs: number): void {
    if (ttlMs <= 0) {
      this.lru.delete(key);
      return;
    }
    this.lru.set(key, value, { ttl: Math.ceil(ttlMs) });
  }

  delete(key: string): void {
    this.lru.delete(key);
  }

  evict(m: KeyMatcher): number {
    const doomed: string[] = [];
    for (const k of this.lru.keys()) if (k.startsWith(m.prefix) && m.test(k)) doomed.push(k);
    for (const k of doomed) this.lru.delete(k);
    return doomed.length;
  }

  stats(): StoreStats {
    return { entries: this.lru.size, bytes: this.lru.calculatedSize };
  }

  clear(): void {
    this.lru.clear();
  }

  close(): void {
    this.lru.clear();
  }
}
