import { describe, it, expect, afterAll } from 'vitest';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { MemoryCacheStore } from '../../src/cache/memory-store.js';
import { RedisCacheStore } from '../../src/cache/redis-store.js';
import { SharedCacheStore } from '../../src/cache/shared-store.js';
import { createGuardedRedis, type GuardedRedis } from '../../src/store/redis.js';
import { pathPatternMatcher, primaryKey, urlMatcher, variantKey } from '../../src/cache/key.js';
import type { CacheStore } from '../../src/cache/types.js';
import { manualClock, storedEntry } from './helpers.js';

interface Backend {
  name: string;
  make(clock: ReturnType<typeof manualClock>): Promise<CacheStore>;
  /** Checks that `key` expires after `ttlMs` (memory: move the clock; Redis: its own PTTL). */
  expires(s: CacheStore, key: string, ttlMs: number, clock: ReturnType<typeof manualClock>): Promise<void>;
}

// The shared Redis at 127.0.0.1:6379, under a prefix unique to this run.
const PREFIX = `sono-guard-test:${randomUUID()}:`;
const connections: GuardedRedis[] = [];
async function connect(): Promise<GuardedRedis> {
  const r = createGuardedRedis({ url: 'redis://127.0.0.1:6379', timeout: 500 }, { guard: { probe: null } });
  connections.push(r);
  if (r.client.status !== 'ready') await once(r.client, 'ready');
  return r;
}
let caches = 0;
const redisExpires = async (_s: CacheStore, key: string, ttlMs: number) => {
  const r = connections[connections.length - 1]!;
  const keys = await r.client.keys(`${PREFIX}*e:*`);
  const k = keys.find((x) => x.endsWith(key));
  expect(k).toBeDefined();
  const pttl = await r.client.pttl(k!);
  expect(pttl).toBeGreaterThan(0);
  expect(pttl).toBeLessThanOrEqual(ttlMs);
};

const backends: Backend[] = [
  {
    name: 'memory',
    make: async (clock) => new MemoryCacheStore({ maxBytes: 1 << 20, clock }),
    expires: async (s, key, ttlMs, clock) => {
      expect(await s.get(key)).toBeDefined();
      clock.advance(ttlMs + 1);
      expect(await s.get(key)).toBeUndefined();
    },
  },
  {
    name: 'redis',
    make: async () => new RedisCacheStore((await connect()).client, PREFIX, `c${++caches}`),
    expires: redisExpires,
  },
  {
    name: 'redis behind the store guard, memory fallback',
    make: async () => new SharedCacheStore({ guard: (await connect()).guard, prefix: PREFIX, cacheName: `c${++caches}`, maxBytes: 1 << 20 }),
    expires: redisExpires,
  },
];

const opened: CacheStore[] = [];
afterAll(async () => {
  for (const s of opened) await s.close();
  const r = connections[0];
  if (r) {
    const keys = await r.client.keys(`${PREFIX}*`);
    if (keys.length > 0) await r.client.del(...keys);
  }
  for (const c of connections) await c.close();
});

describe.each(backends)('CacheStore contract: $name', (b) => {
  const setup = async () => {
    const clock = manualClock();
    const s = await b.make(clock);
    opened.push(s);
    return { s, clock };
  };
  const key = (path: string, q = '') => primaryKey('h', path, q, {}, []);

  it('returns what was set, body and metadata intact', async () => {
    const { s } = await setup();
    const e = storedEntry({ headers: { 'set-x': ['a', 'b'], date: 'D' }, body: Buffer.from([0, 1, 2, 255]), etag: '"e"' });
    await s.set(key('/a'), e, 60_000);
    const got = await s.get(key('/a'));
    expect(got).toMatchObject({ kind: 'entry', status: 200, etag: '"e"', headers: { 'set-x': ['a', 'b'], date: 'D' } });
    expect(got?.kind === 'entry' && Buffer.compare(got.body, e.body)).toBe(0);
  });

  it('returns undefined for an unknown key', async () => {
    const { s } = await setup();
    expect(await s.get(key('/never'))).toBeUndefined();
  });

  it('stores Vary markers', async () => {
    const { s } = await setup();
    await s.set(key('/v'), { kind: 'vary', names: ['accept'], expiresAt: 123 }, 60_000);
    expect(await s.get(key('/v'))).toEqual({ kind: 'vary', names: ['accept'], expiresAt: 123 });
  });

  it('deletes', async () => {
    const { s } = await setup();
    await s.set(key('/d'), storedEntry(), 60_000);
    await s.delete(key('/d'));
    expect(await s.get(key('/d'))).toBeUndefined();
  });

  it('expires entries after their TTL', async () => {
    const { s, clock } = await setup();
    await s.set(key('/ttl'), storedEntry(), 5_000);
    await b.expires(s, key('/ttl'), 5_000, clock);
  });

  it('replaces a value set twice (stats count it once)', async () => {
    const { s } = await setup();
    const before = await s.stats();
    await s.set(key('/twice'), storedEntry({ body: Buffer.from('one') }), 60_000);
    await s.set(key('/twice'), storedEntry({ body: Buffer.from('two') }), 60_000);
    const got = await s.get(key('/twice'));
    expect(got?.kind === 'entry' && got.body.toString()).toBe('two');
    expect((await s.stats()).entries - before.entries).toBe(1);
  });

  it('keeps keys with glob characters distinct', async () => {
    const { s } = await setup();
    await s.set(key('/g', '?a=*'), storedEntry(), 60_000);
    await s.set(key('/g', '?a=1'), storedEntry(), 60_000);
    expect(await s.evict(urlMatcher('h', '/g', '?a=*'))).toBe(1);
    expect(await s.get(key('/g', '?a=1'))).toBeDefined();
  });

  it('evicts by path pattern and by URL, counting what it removed', async () => {
    const { s } = await setup();
    const p1 = key('/api/v1/assessments/1', '?x=1');
    await s.set(p1, storedEntry(), 60_000);
    await s.set(variantKey(key('/api/v1/assessments/2'), ['accept'], {}), storedEntry(), 60_000);
    await s.set(key('/api/v1/assessments/2/sub'), storedEntry(), 60_000);
    await s.set(key('/api/v1/candidates/1'), storedEntry(), 60_000);
    expect(await s.evict(pathPatternMatcher('/api/v1/assessments/*'))).toBe(2);
    expect(await s.get(p1)).toBeUndefined();
    expect(await s.get(key('/api/v1/assessments/2/sub'))).toBeDefined();
    expect(await s.evict(urlMatcher('h', '/api/v1/candidates/1', ''))).toBe(1);
    expect(await s.get(key('/api/v1/candidates/1'))).toBeUndefined();
    expect(await s.evict(pathPatternMatcher('/nothing/**'))).toBe(0);
  });

  it('evicts across many pages of keys, and only under the pattern', async () => {
    const { s } = await setup();
    await Promise.all(Array.from({ length: 1200 }, (_, i) => s.set(key(`/bulk/${i}`), storedEntry(), 60_000)));
    await s.set(key('/bulk'), storedEntry(), 60_000);
    await s.set(key('/bulkier/1'), storedEntry(), 60_000);
    expect(await s.evict(pathPatternMatcher('/bulk/*'))).toBe(1200);
    expect(await s.get(key('/bulk'))).toBeDefined();
    expect(await s.get(key('/bulkier/1'))).toBeDefined();
    expect(await s.get(key('/bulk/1199'))).toBeUndefined();
  });

  it('reports entries and bytes', async () => {
    const { s } = await setup();
    const before = await s.stats();
    await s.set(key('/s1'), storedEntry({ body: Buffer.alloc(1000) }), 60_000);
    const after = await s.stats();
    expect(after.entries - before.entries).toBe(1);
    expect(after.bytes - before.bytes).toBeGreaterThanOrEqual(1000);
  });
});

describe('memory store bound', () => {
  it('stays within max_bytes after being filled three times over', () => {
    const max = 256 * 1024;
    const s = new MemoryCacheStore({ maxBytes: max });
    const body = Buffer.alloc(4096, 1);
    const n = Math.ceil((3 * max) / body.length);
    for (let i = 0; i < n; i++) s.set(primaryKey('h', `/item/${i}`, '', {}, []), storedEntry({ body }), 60_000);
    const st = s.stats();
    expect(st.bytes).toBeLessThanOrEqual(max);
    expect(st.entries).toBeGreaterThan(0);
    expect(st.entries).toBeLessThan(n / 2);
    // the most recent entry survives, the first was evicted
    expect(s.get(primaryKey('h', `/item/${n - 1}`, '', {}, []))).toBeDefined();
    expect(s.get(primaryKey('h', '/item/0', '', {}, []))).toBeUndefined();
  });
});
