import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { once } from 'node:events';
import { request } from 'undici';
import { createResponseCache } from '../../src/cache/index.js';
import { createGuardedRedis, type GuardedRedis } from '../../src/store/redis.js';
import { startRedisServer, type RedisServer } from '../store/redis-server.js';
import { startMiniProxy, startOrigin, type MiniProxy, type Origin } from './mini-proxy.js';
import { cacheDef } from './helpers.js';

describe('two proxies sharing one Redis', () => {
  let server: RedisServer;
  let origin: Origin;
  const conns: GuardedRedis[] = [];
  const proxies: MiniProxy[] = [];

  async function replica(): Promise<MiniProxy> {
    const r = createGuardedRedis({ url: server.url, timeout: 200 }, { guard: { probe: null, openMs: 50 } });
    conns.push(r);
    if (r.client.status !== 'ready') await once(r.client, 'ready');
    const cache = createResponseCache('assessments', cacheDef(), { redis: r, prefix: 'sg-test:' });
    const p = await startMiniProxy(origin.url, cacheDef(), { cache });
    proxies.push(p);
    return p;
  }

  beforeEach(async () => {
    server = await startRedisServer();
    origin = await startOrigin((_req, res, n) => {
      res.writeHead(200, { 'cache-control': 'max-age=300', 'content-type': 'text/plain' });
      res.end(`answer-${n}`);
    });
  });

  afterEach(async () => {
    for (const p of proxies.splice(0)) await p.close();
    for (const c of conns.splice(0)) await c.close();
    await origin.close();
    await server.stop();
  });

  const get = async (p: MiniProxy, path: string) => {
    // replicas behind one Service see the same Host
    const r = await request(p.url + path, { headers: { host: 'assessments.example' } });
    const text = await r.body.text();
    await p.cache.flush();
    return { status: r.statusCode, xcache: r.headers['x-cache'], text };
  };

  it('a response cached by one replica is a HIT on the other; a purge on one is seen by both', async () => {
    const a = await replica();
    const b = await replica();
    expect(await get(a, '/api/v1/assessments/1')).toMatchObject({ xcache: 'MISS', text: 'answer-1' });
    expect(await get(b, '/api/v1/assessments/1')).toMatchObject({ xcache: 'HIT', text: 'answer-1' });
    expect(origin.requests).toHaveLength(1);
    expect(b.cache.snapshot()).toMatchObject({ hits: 1, misses: 0 });
    expect(await b.cache.statsAsync()).toMatchObject({ entries: 1 });

    expect(await a.cache.purge('/api/v1/assessments/*')).toBe(1);
    expect(await get(b, '/api/v1/assessments/1')).toMatchObject({ xcache: 'MISS', text: 'answer-2' });
    expect(await get(a, '/api/v1/assessments/1')).toMatchObject({ xcache: 'HIT', text: 'answer-2' });
  });

  it('keeps answering without a single 5xx when Redis is killed, and shares again when it returns', async () => {
    const a = await replica();
    const b = await replica();
    await get(a, '/x');
    await server.kill();
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      statuses.push((await get(a, '/x')).status, (await get(b, '/x')).status);
    }
    expect(statuses.every((s) => s === 200)).toBe(true);
    // each replica fell back to its own memory: HITs locally
    expect((await get(a, '/x')).xcache).toBe('HIT');

    await server.restart();
    for (const c of conns) if (c.client.status !== 'ready') await once(c.client, 'ready');
    for (let i = 0; i < 100 && conns.some((c) => c.guard.health() !== 'operational'); i++) {
      await get(a, '/warm');
      await get(b, '/warm');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(conns.every((c) => c.guard.health() === 'operational')).toBe(true);
    const before = origin.requests.length;
    expect((await get(a, '/after')).xcache).toBe('MISS');
    expect((await get(b, '/after')).xcache).toBe('HIT');
    expect(origin.requests.length - before).toBe(1);
  });
});
