/**
 * The response cache's public surface for the pipeline compiler, the admin
 * listener and the status page.
 */
import type { Redis } from 'ioredis';
import type { Metrics } from '../observability/metrics.js';
import type { StoreGuard } from '../store/guarded.js';
import type { InvalidationBus } from './bus.js';
import { ResponseCache } from './response-cache.js';
import { SharedCacheStore } from './shared-store.js';
import type { CacheDef } from './types.js';

export { ResponseCache } from './response-cache.js';
export type { CacheDef, CacheStore, CacheEntry, StoreStats } from './types.js';
export { cacheStage, invalidateStage, type CacheStageOptions } from '../pipeline/stages/cache.js';

export interface CacheDeps {
  metrics?: Metrics | null;
  /** `store.kind: redis`: the guarded connection shared with rate limiting; null or absent for memory. */
  redis?: { guard: StoreGuard<Redis>; bus?(prefix: string): InvalidationBus } | null;
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
  const redis = deps.redis;
  const prefix = deps.prefix ?? 'sono-guard:';
  const near = redis?.bus && (def.near_ttl ?? 0) > 0 ? { ttlMs: def.near_ttl!, bus: redis.bus(prefix) } : null;
  const store = redis
    ? new SharedCacheStore({ guard: redis.guard, prefix, cacheName: name, maxBytes: def.max_bytes, near, ...(clock ? { clock } : {}) })
    : undefined;
  return new ResponseCache(name, def, {
    ...(store ? { store } : {}),
    metrics: deps.metrics ?? null,
    ...(deps.now ? { now: deps.now } : {}),
  });
}
