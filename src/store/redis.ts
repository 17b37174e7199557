import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics.js';
import { InvalidationBus } from '../cache/bus.js';
import { StoreGuard, type StoreGuardOptions } from './guarded.js';

export interface RedisConnectOptions {
  /** `redis://[:password@]host:port/db` or `rediss://…` (TLS); the password comes from the URL. */
  url: string;
  /** `store.timeout`, ms; ≥ 50. */
  timeout: number;
}

/**
 * An ioredis client that never makes a request wait on a dead Redis:
 *  - `enableOfflineQueue: false`: while disconnected a command fails at once
 *    instead of queueing (ioredis defaults blocked requests 2–10 s in an outage);
 *  - `maxRetriesPerRequest: 1`, `commandTimeout`: one short attempt;
 *  - reconnects forever with capped, jittered backoff;
 *  - connects in the background: the proxy starts even when Redis is
 *    unreachable, and connection errors are handled here (never an
 *    unhandled 'error' event);
 *  - RESP2: works with every Redis version and with Redis-protocol proxies
 *    (ioredis 6 would otherwise insist on RESP3's HELLO).
 */
export function createRedisClient(o: RedisConnectOptions): Redis {
  const client = new (ioredis())(o.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: Math.max(50, o.timeout),
    connectTimeout: Math.max(1000, o.timeout * 10),
    retryStrategy: (times: number) => Math.min(2000, 50 * 2 ** Math.min(times, 6)) + Math.floor(Math.random() * 100),
    protocol: 2,
    enableAutoPipelining: true,
    lazyConnect: false,
  });
  client.on('error', noop); // reported through the guard (once per outage), see createGuardedRedis
  return client;
}

/** Guard settings for tests and tuning; `probe: null` turns off the background PING. */
export type GuardTuning = Pick<StoreGuardOptions, 'failureThreshold' | 'openMs' | 'maxOpenMs' | 'now'> & { probe?: null };

export interface GuardedRedis {
  readonly client: Redis;
  readonly guard: StoreGuard<Redis>;
  /** The cache invalidation channel under `prefix` (one subscriber connection each, made on first use). */
  bus(prefix: string): InvalidationBus;
  close(): Promise<void>;
}

/**
 * One Redis connection behind one guard, shared by everything that keeps
 * state in Redis (rate limits, cache). Connection loss trips the guard at
 * once (no request waits to discover it) and a reconnect lets the next call
 * probe immediately; health is `degraded` until a call succeeds.
 */
export function createGuardedRedis(
  o: RedisConnectOptions,
  deps: { metrics?: Pick<Metrics, 'storeErrors'>; logger?: Logger; guard?: GuardTuning } = {},
): GuardedRedis {
  const client = createRedisClient(o);
  const guard = new StoreGuard<Redis>(client, {
    ...deps.guard,
    name: 'redis',
    timeoutMs: o.timeout,
    metrics: deps.metrics,
    logger: deps.logger,
    probe: deps.guard?.probe === null ? undefined : (c) => c.ping(),
  });
  let closing = false;
  client.on('error', (err: Error) => {
    if (!closing) guard.trip(`redis error: ${err.message}`);
  });
  client.on('close', () => {
    if (!closing) guard.trip('redis connection closed');
  });
  client.on('ready', () => guard.probeSoon());
  const buses = new Map<string, InvalidationBus>();
  return {
    client,
    guard,
    bus(prefix) {
      let b = buses.get(prefix);
      if (!b) buses.set(prefix, (b = new InvalidationBus(client, prefix)));
      return b;
    },
    async close() {
      closing = true;
      for (const b of buses.values()) b.close();
      guard.close();
      try {
        if (client.status === 'ready') await client.quit();
        else client.disconnect();
      } catch {
        client.disconnect();
      }
    },
  };
}

function noop(): void {}

const require = createRequire(import.meta.url);
let RedisClass: typeof Redis | null = null;
/**
 * ioredis, loaded on first use: loading it costs a process ~20 MiB of RSS,
 * which a proxy on the memory store (the default) would carry for nothing.
 */
function ioredis(): typeof Redis {
  return (RedisClass ??= (require('ioredis') as typeof import('ioredis')).Redis);
}
