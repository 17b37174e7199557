import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApp, type AppHandle } from '../../app/server.js';
import { adminPost, echo, h, send, startRig, type Rig } from './harness.js';

// Two replicas of sono-guard behind one Service: same Host, one Redis (the
// shared one at 6379, under a prefix no other test run uses).
const HOST = { host: 'assessments.example' };

function policy(prefix: string): string {
  return `store: { kind: redis, url: "redis://127.0.0.1:6379", prefix: "${prefix}" }
caches:
  c: { ttl: 1m }
routes:
  - match: { path: /api/v1/echo, methods: [GET, HEAD] }
    cache: c
`;
}

describe('two proxies sharing one Redis', () => {
  let app: AppHandle;
  let a: Rig;
  let b: Rig;
  let prefix: string;

  beforeEach(async () => {
    app = await startApp();
    prefix = `sg-e2e-${randomUUID()}:`;
    a = await startRig(policy(prefix), app);
    b = await startRig(policy(prefix), app);
  });

  afterEach(async () => {
    await adminPost(a.proxy.adminUrl, '/admin/cache/purge', { cache: 'c', path: '/**' });
    await a.close();
    await b.close();
    await app.close();
    // the byte counter outlives a purge: remove every key this run wrote
    const redis = new Redis('redis://127.0.0.1:6379');
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('a MISS on the first is a HIT on the second', async () => {
    const path = echo({ cache_control: 'max-age=60' });
    const miss = await send(a.proxy.url, path, { headers: HOST });
    expect(h(miss, 'x-cache')).toBe('MISS');
    await a.cache('c').flush();

    const hit = await send(b.proxy.url, path, { headers: HOST });
    expect(h(hit, 'x-cache')).toBe('HIT');
    expect(hit.body).toBe(miss.body);
    expect(app.log.count('/api/v1/echo')).toBe(1);
  });

  it('a purge on one is seen by the other', async () => {
    const path = echo({ cache_control: 'max-age=60', n: 2 });
    await send(a.proxy.url, path, { headers: HOST });
    await a.cache('c').flush();
    expect(h(await send(b.proxy.url, path, { headers: HOST }), 'x-cache')).toBe('HIT');

    const r = await adminPost(a.proxy.adminUrl, '/admin/cache/purge', { cache: 'c', path: '/api/v1/echo' });
    expect(JSON.parse(r.body)).toEqual({ purged: 1 });
    expect(h(await send(b.proxy.url, path, { headers: HOST }), 'x-cache')).toBe('MISS');
    expect(app.log.count('/api/v1/echo')).toBe(2);
  });

  it('an invalidating write through one evicts the entry for the other', async () => {
    const path = echo({ cache_control: 'max-age=60', n: 3 });
    await send(a.proxy.url, path, { headers: HOST });
    await a.cache('c').flush();
    // RFC 9111 §4.4: a successful POST to the URL evicts it, in Redis for every replica
    const post = await send(b.proxy.url, path, { method: 'POST', headers: HOST, body: '{}' });
    expect(post.status).toBe(200);
    expect(h(await send(a.proxy.url, path, { headers: HOST }), 'x-cache')).toBe('MISS');
  });
});
