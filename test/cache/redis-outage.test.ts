import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { once } from 'node:events';
import { SharedCacheStore } from '../../src/cache/shared-store.js';
import { ResponseCache } from '../../src/cache/response-cache.js';
import { ALL_KEYS, pathPatternMatcher, primaryKey } from '../../src/cache/key.js';
import { cacheStage } from '../../src/pipeline/stages/cache.js';
import { createGuardedRedis, type GuardedRedis } from '../../src/store/redis.js';
import { startRedisServer, type RedisServer } from '../store/redis-server.js';
import type { Handler } from '../../src/pipeline/types.js';
import { cacheDef, exchange, manualClock, storedEntry, text, upstream } from './helpers.js';

describe('cache on Redis when Redis dies and returns', () => {
  let server: RedisServer;
  let r: GuardedRedis;
  let store: SharedCacheStore;

  beforeEach(async () => {
    server = await startRedisServer();
    r = createGuardedRedis({ url: server.url, timeout: 100 }, { guard: { probe: null, openMs: 50, failureThreshold: 1 } });
    if (r.client.status !== 'ready') await once(r.client, 'ready');
    store = new SharedCacheStore({ guard: r.guard, prefix: 'sg:', cacheName: 'outage', maxBytes: 1 << 20 });
  });

  afterEach(async () => {
    store.close();
    await r.close();
    await server.stop();
  });

  it('serves from Redis, then from the memory fallback with no error, and drops the fallback on recovery', async () => {
    const k = primaryKey('h', '/a', '', {}, []);
    await store.set(k, storedEntry({ body: Buffer.from('shared') }), 60_000);
    expect(await r.client.exists(`sg:{cache:outage}:e:${k}`)).toBe(1);

    await server.kill();
    // a failed call answers from the fallback, never throws
    expect(await store.get(k)).toBeUndefined();
    await store.set(k, storedEntry({ body: Buffer.from('local') }), 60_000);
    const local = await store.get(k);
    expect(local?.kind === 'entry' && local.body.toString()).toBe('local');
    expect(r.guard.health()).toBe('degraded');
    // an eviction while Redis is down applies locally and is remembered
    expect(await store.evict(ALL_KEYS)).toBe(1);

    await server.restart();
    await once(r.client, 'ready');
    // the next call probes and closes the guard; the queued eviction is replayed
    await store.stats();
    for (let i = 0; i < 50 && r.guard.health() !== 'operational'; i++) {
      await new Promise((res) => setTimeout(res, 20));
      await store.stats();
    }
    expect(r.guard.health()).toBe('operational');
    expect(store.local.stats().entries).toBe(0);
  });

  it('replays an eviction made while Redis was unreachable once it answers again', async () => {
    const k = primaryKey('h', '/api/v1/assessments/1', '', {}, []);
    await store.set(k, storedEntry(), 60_000);
    server.pause();
    // timed-out call: fallback, guard opens (threshold 1)
    expect(await store.get(k)).toBeUndefined();
    expect(r.guard.health()).toBe('degraded');
    await store.evict(pathPatternMatcher('/api/v1/assessments/**'));
    server.resume();
    for (let i = 0; i < 50 && r.guard.health() !== 'operational'; i++) {
      await new Promise((res) => setTimeout(res, 20));
      await store.stats();
    }
    expect(r.guard.health()).toBe('operational');
    for (let i = 0; i < 50 && (await r.client.exists(`sg:{cache:outage}:e:${k}`)) === 1; i++) {
      await new Promise((res) => setTimeout(res, 10));
    }
    expect(await r.client.exists(`sg:{cache:outage}:e:${k}`)).toBe(0);
    expect(await store.get(k)).toBeUndefined();
  });

  it('keeps a cached route answering 200 through the outage (no 5xx)', async () => {
    const cache = new ResponseCache('outage', cacheDef(), { store, now: manualClock().now });
    let n = 0;
    const next: Handler = async () => upstream(200, { 'cache-control': 'max-age=60' }, `app-${++n}`);
    const h = cacheStage(cache, { waitMs: 1000 })(next);
    const first = await h(exchange('GET', '/x'));
    expect(await text(first)).toBe('app-1');
    await cache.flush();
    const hit = await h(exchange('GET', '/x'));
    expect(hit.headers['x-cache']).toBe('HIT');

    await server.kill();
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const reply = await h(exchange('GET', '/x'));
      statuses.push(reply.status);
      await text(reply);
      await cache.flush();
    }
    expect(statuses.every((s) => s === 200)).toBe(true);
    // after the first miss during the outage, the memory fallback answers
    const during = await h(exchange('GET', '/x'));
    expect(during.headers['x-cache']).toBe('HIT');
  });
});
