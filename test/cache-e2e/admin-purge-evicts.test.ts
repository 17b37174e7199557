import { afterEach, describe, expect, it } from 'vitest';
import { adminPost, echo, h, send, startRig, type Rig } from './harness.js';

const POLICY = `caches:
  c: { ttl: 1h }
routes:
  - match: { path: /api/v1/echo, methods: [GET, HEAD] }
    cache: c
  - match: { path: /api/v1/assessments/*, methods: [GET, HEAD] }
    cache: c
`;

describe('POST /admin/cache/purge on the admin listener', () => {
  let rig: Rig;
  afterEach(() => rig.close());

  it('evicts the entries whose path matches the pattern', async () => {
    rig = await startRig(POLICY);
    const echoA = echo({ n: 'a' });
    const echoB = echo({ n: 'b' });
    const missing = '/api/v1/assessments/none'; // 404 is cacheable
    for (const p of [echoA, echoB, missing]) await send(rig.proxy.url, p);
    expect(h(await send(rig.proxy.url, missing), 'x-cache')).toBe('HIT');

    const r = await adminPost(rig.proxy.adminUrl, '/admin/cache/purge', { cache: 'c', path: '/api/v1/echo' });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ purged: 2 });
    expect(h(await send(rig.proxy.url, echoA), 'x-cache')).toBe('MISS');
    expect(h(await send(rig.proxy.url, echoB), 'x-cache')).toBe('MISS');
    expect(h(await send(rig.proxy.url, missing), 'x-cache')).toBe('HIT');

    const wild = await adminPost(rig.proxy.adminUrl, '/admin/cache/purge', { cache: 'c', path: '/api/v1/assessments/*' });
    expect(JSON.parse(wild.body)).toEqual({ purged: 1 });
    expect(h(await send(rig.proxy.url, missing), 'x-cache')).toBe('MISS');
  });

  it('answers 404 for an unknown cache and 400 for a malformed body', async () => {
    rig = await startRig(POLICY);
    expect((await adminPost(rig.proxy.adminUrl, '/admin/cache/purge', { cache: 'nope', path: '/**' })).status).toBe(404);
    expect((await adminPost(rig.proxy.adminUrl, '/admin/cache/purge', { cache: 'c' })).status).toBe(400);
  });

  it('is not served on the main listener', async () => {
    rig = await startRig(POLICY);
    await send(rig.proxy.url, echo({ n: 'a' }));
    await adminPost(rig.proxy.url, '/admin/cache/purge', { cache: 'c', path: '/api/v1/echo' });
    expect(h(await send(rig.proxy.url, echo({ n: 'a' })), 'x-cache')).toBe('HIT');
  });
});
