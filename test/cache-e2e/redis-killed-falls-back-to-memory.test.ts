import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp, type AppHandle } from '../../app/server.js';
import { startRedisServer, type RedisServer } from '../store/redis-server.js';
import { echo, h, send, startRig, systemStatus, until, type Rig } from './harness.js';

const HOST = { host: 'assessments.example' };

function policy(url: string, prefix: string): string {
  return `store: { kind: redis, url: "${url}", prefix: "${prefix}" }
caches:
  c: { ttl: 1m }
routes:
  - match: { path: /api/v1/echo, methods: [GET, HEAD] }
    cache: c
`;
}

describe('Redis killed while two proxies share it', () => {
  let redis: RedisServer;
  let app: AppHandle;
  const rigs: Rig[] = [];

  afterEach(async () => {
    for (const r of rigs.splice(0)) await r.close();
    await app.close();
    await redis.stop();
  });

  it('no 5xx, entries served from each replica’s memory, and sharing again once Redis is back', async () => {
    redis = await startRedisServer();
    app = await startApp();
    const prefix = `sg-e2e-${randomUUID()}:`;
    const a = await startRig(policy(redis.url, prefix), app);
    const b = await startRig(policy(redis.url, prefix), app);
    rigs.push(a, b);
    const get = (r: Rig, path: string) => send(r.proxy.url, path, { headers: HOST });

    const shared = echo({ cache_control: 'max-age=60', n: 'before' });
    await get(a, shared);
    await a.cache('c').flush();
    expect(h(await get(b, shared), 'x-cache')).toBe('HIT');

    await redis.kill();
    const during = echo({ cache_control: 'max-age=60', n: 'during' });
    const statuses: number[] = [];
    const kinds: string[] = [];
    for (let i = 0; i < 10; i++) {
      for (const r of [a, b]) {
        for (const p of [shared, during]) {
          const res = await get(r, p);
          statuses.push(res.status);
          kinds.push(`${i}:${r === a ? 'a' : 'b'}:${p === shared ? 'shared' : 'during'}:${h(res, 'x-cache')}`);
        }
      }
    }
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    // each replica answers from its own memory once it has fetched the response
    expect(kinds.slice(-4)).toEqual(['9:a:shared:HIT', '9:a:during:HIT', '9:b:shared:HIT', '9:b:during:HIT']);
    expect((await systemStatus(a.proxy.url)).health.components.store).toBe('degraded');

    await redis.restart();
    for (const r of rigs) await until(async () => (await systemStatus(r.proxy.url)).health.components.store === 'operational');
    const after = echo({ cache_control: 'max-age=60', n: 'after' });
    expect(h(await get(a, after), 'x-cache')).toBe('MISS');
    await a.cache('c').flush();
    expect(h(await get(b, after), 'x-cache')).toBe('HIT');
    expect(statuses).toHaveLength(40);
  });
});
