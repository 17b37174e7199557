import { once } from 'node:events';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { InvalidationBus } from '../../src/cache/bus.js';
import { ALL_KEYS, exactMatcher, matcherFromSpec, pathPatternMatcher, urlMatcher } from '../../src/cache/key.js';
import { SharedCacheStore } from '../../src/cache/shared-store.js';
import type { CacheEntry, StoredValue } from '../../src/cache/types.js';
import { createGuardedRedis, type GuardedRedis } from '../../src/store/redis.js';
import { until } from '../helpers/wait.js';
import { startRedisServer, type RedisServer } from '../store/redis-server.js';

// Near copies (store: redis, near_ttl > 0): each replica answers hits from
// its own copy of what it read from Redis, and every eviction reaches the
// other replicas' copies through pub/sub. Two "replicas" here are two
// connections with their own stores, on a redis-server of the test's own.
const PREFIX = 'sg-near:';
const KEY = 'GET\n/api/v1/assessments/1\napp.test\n\n';

function entry(text: string): CacheEntry {
  return { kind: 'entry', status: 200, headers: { 'content-type': 'text/plain' }, body: Buffer.from(text), storedAt: 0, responseTime: 0, requestTime: 0, vary: null } as unknown as CacheEntry;
}
const bodyOf = (v: StoredValue | undefined) => (v?.kind === 'entry' ? v.body.toString() : undefined);

describe('near copies of Redis cache entries', () => {
  let server: RedisServer;
  let raw: Redis;
  const conns: GuardedRedis[] = [];
  const stores: SharedCacheStore[] = [];

  beforeAll(async () => {
    server = await startRedisServer();
    raw = new Redis(server.url);
  });
  afterAll(async () => {
    raw.disconnect();
    await server.stop();
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) s.close();
    for (const c of conns.splice(0)) await c.close();
    await raw.flushall();
  });

  async function replica(nearMs: number): Promise<{ store: SharedCacheStore; bus: InvalidationBus }> {
    const r = createGuardedRedis({ url: server.url, timeout: 500 }, { guard: { probe: null } });
    conns.push(r);
    if (r.client.status !== 'ready') await once(r.client, 'ready');
    const bus = r.bus(PREFIX);
    await until(() => bus.live);
    const store = new SharedCacheStore({ guard: r.guard, prefix: PREFIX, cacheName: 'c', maxBytes: 1 << 20, near: { ttlMs: nearMs, bus } });
    stores.push(store);
    return { store, bus };
  }

  /** Remove the entry from Redis behind every replica's back (no announcement). */
  const dropInRedis = async () => {
    const keys = await raw.keys(`${PREFIX}{cache:c}:e:*`);
    expect(keys).toHaveLength(1);
    await raw.del(...keys);
  };

  it('a hit read from Redis is answered from the near copy afterwards, until near_ttl ends', async () => {
    const a = await replica(300);
    const b = await replica(300);
    await a.store.set(KEY, entry('one'), 60_000);
    expect(bodyOf(await b.store.get(KEY))).toBe('one'); // from Redis
    await dropInRedis();
    // No round trip: the copy answers (synchronously), though Redis no longer has the entry.
    const near = b.store.get(KEY);
    expect(near instanceof Promise).toBe(false);
    expect(bodyOf(near as StoredValue)).toBe('one');
    await until(async () => (await b.store.get(KEY)) === undefined, 3000);
  });

  it('an eviction on one replica reaches the near copies of the other', async () => {
    const a = await replica(60_000);
    const b = await replica(60_000);
    await a.store.set(KEY, entry('one'), 60_000);
    expect(bodyOf(await b.store.get(KEY))).toBe('one');

    expect(await a.store.evict(pathPatternMatcher('/api/v1/assessments/*'))).toBe(1);
    // Redis hands the message to subscribers before answering the PUBLISH;
    // the copy is gone by the time b's loop has read its socket.
    await until(async () => (await b.store.get(KEY)) === undefined, 2000);
    expect(await b.store.get(KEY)).toBeUndefined();

    await a.store.set(KEY, entry('two'), 60_000);
    expect(bodyOf(await b.store.get(KEY))).toBe('two');
    await a.store.delete(KEY);
    await until(async () => (await b.store.get(KEY)) === undefined, 2000);
  });

  it('while the subscription is down, copies are dropped and every hit reads Redis', async () => {
    const a = await replica(60_000);
    const b = await replica(60_000);
    await a.store.set(KEY, entry('one'), 60_000);
    expect(bodyOf(await b.store.get(KEY))).toBe('one');

    // Only b's subscriber connection is cut (it reconnects by itself).
    const subs = (await raw.client('LIST')) as string;
    const ids = subs.split('\n').filter((l) => / cmd=subscribe /.test(l)).map((l) => /id=(\d+)/.exec(l)![1]!);
    expect(ids).toHaveLength(2);
    await dropInRedis();
    await raw.client('KILL', 'ID', ids[1]!); // connections are numbered in order: b's is the later one
    await until(() => !b.bus.live, 2000);
    expect(await b.store.get(KEY)).toBeUndefined(); // not the copy: Redis, which no longer has it

    await until(() => b.bus.live, 5000);
    await a.store.set(KEY, entry('two'), 60_000);
    expect(bodyOf(await b.store.get(KEY))).toBe('two');
  });

  it('near_ttl 0 keeps no copies', async () => {
    const a = await replica(0);
    await a.store.set(KEY, entry('one'), 60_000);
    expect(bodyOf(await a.store.get(KEY))).toBe('one');
    await dropInRedis();
    expect(await a.store.get(KEY)).toBeUndefined();
  });
});

describe('matchers as data', () => {
  it('rebuilds every kind of matcher from its spec', () => {
    const key = 'GET\n/docs/a\nh\n?x=1\n';
    for (const m of [ALL_KEYS, exactMatcher(key), urlMatcher('h', '/docs/a', '?x=1'), pathPatternMatcher('/docs/**')]) {
      const back = matcherFromSpec(JSON.parse(JSON.stringify(m.spec)));
      expect(back?.prefix).toBe(m.prefix);
      expect(back?.test(key)).toBe(m.test(key));
      expect(back?.test('GET\n/other\nh\n\n')).toBe(m.test('GET\n/other\nh\n\n'));
    }
  });

  it.each([[null], [['key']], [['pattern', 'docs/**']], [['url', 'h', '/p']], [['nope', 'x']], [[1, 2]]])('refuses %j', (spec) => {
    expect(matcherFromSpec(spec)).toBeNull();
  });
});
