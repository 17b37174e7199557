/**
 * The response cache's public surface for the pipeline compiler, the admin
 * listener and the status page.
 */
import type { Redis } from 'ioredis';
import type { Metrics } from '../observability/metrics.js';
import type { StoreGuard } from '../store/guarded.js';
import { ResponseCache } from './response-cache.js';
import { SharedCacheStore } from './shared-store.js';
import type { CacheDef } from './types.js';

export { ResponseCache } from './response-cache.js';
export type { CacheDef, CacheStore, CacheEntry, StoreStats } from './types.js';
export { cacheStage, invalidateStage, type CacheStageOptions } from '../pipeline/stages/cache.js';

export interface CacheDeps {
  metrics?: Metrics | null;
  /** `store.kind: redis`: the guarded connection shared with rate limiting; null or absent for memory. */
  redis?: { guard: StoreGuard<Redis> } | null;
  /** `store.prefix`. */
  prefix?: string;
  now?: () => number;
}

/**
 * One named cache: memory-only, or Redis (shared by every replica) with a
 * per-replica memory fallback behind the store guard.
 */
export function createResponseCache(name: string, def: CacheDef, deps: CacheDeps = {}): ResponseCache {
  const clock = deps.now ? { now: deps.now } : undefined;
  const store = deps.redis
    ? new SharedCacheStore({ guard: deps.redis.guard, prefix: deps.prefix ?? 'sono-guard:', cacheName: name, maxBytes: def.max_bytes, ...(clock ? { clock } : {}) })
    : undefined;
  return new ResponseCache(name, def, {
    ...(store ? { store } : {}),
    metrics: deps.metrics ?? null,
    ...(deps.now ? { now: deps.now } : {}),
  });
}
