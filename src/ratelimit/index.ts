import type { Redis } from 'ioredis';
import type { StoreGuard } from '../store/guarded.js';
import { MemoryRateLimitStore } from './memory-store.js';
import { RedisRateLimitStore, type OnError } from './redis-store.js';
import type { RateLimitStore } from './types.js';

export { RateLimiter, type RateLimiterSnapshot } from './limiter.js';
export { MemoryRateLimitStore } from './memory-store.js';
export { RedisRateLimitStore, type OnError } from './redis-store.js';
export type { Decision, KeySpec, LimitDef, RateLimitDef, RateLimitStore, WindowSpec } from './types.js';

/** The `store` section fields the rate limiter reads. */
export interface RateLimitStoreConfig {
  kind: 'memory' | 'redis';
  prefix: string;
  on_error: OnError;
}

/**
 * The proxy's counter store: memory, or Redis behind the shared guard
 * (`createGuardedRedis` in src/store/redis.ts; required when kind is redis).
 */
export function createRateLimitStore(cfg: RateLimitStoreConfig, redis?: StoreGuard<Redis>): RateLimitStore {
  if (cfg.kind === 'memory') return new MemoryRateLimitStore();
  if (!redis) throw new Error('store.kind is redis but no Redis connection was given');
  return new RedisRateLimitStore({ guard: redis, prefix: cfg.prefix, onError: cfg.on_error });
}
