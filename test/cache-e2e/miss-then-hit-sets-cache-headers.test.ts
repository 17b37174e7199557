import { afterEach, describe, expect, it } from 'vitest';
import { age, echo, echoCached, h, send, startRig, type Rig } from './harness.js';

describe('a cached GET through the real proxy', () => {
  let rig: Rig;
  afterEach(() => rig.close());

  it('is a MISS first and a HIT after, with X-Cache, Age and RFC 9211 Cache-Status', async () => {
    rig = await startRig(echoCached());
    const path = echo({ cache_control: 'max-age=300' });

    const miss = await send(rig.proxy.url, path);
    expect(miss.status).toBe(200);
    expect(h(miss, 'x-cache')).toBe('MISS');
    expect(h(miss, 'cache-status')).toBe('sono-guard; fwd=uri-miss; fwd-status=200; stored');

    const hit = await send(rig.proxy.url, path);
    expect(hit.status).toBe(200);
    expect(h(hit, 'x-cache')).toBe('HIT');
    expect(h(hit, 'cache-status')).toMatch(/^sono-guard; hit; ttl=[0-9]+$/);
    expect(age(hit)).toBeGreaterThanOrEqual(0);
    expect(hit.body).toBe(miss.body);
    // the stored Date is the app's, never rewritten
    expect(h(hit, 'date')).toBe(h(miss, 'date'));
    expect(rig.app.log.count('/api/v1/echo')).toBe(1);
  });

  it('keys on the sorted query: the same parameters in another order are a HIT, another value a MISS', async () => {
    rig = await startRig(echoCached());
    await send(rig.proxy.url, '/api/v1/echo?cache_control=max-age%3D300&a=1&b=2');
    const same = await send(rig.proxy.url, '/api/v1/echo?b=2&cache_control=max-age%3D300&a=1');
    expect(h(same, 'x-cache')).toBe('HIT');
    const other = await send(rig.proxy.url, '/api/v1/echo?cache_control=max-age%3D300&a=1&b=3');
    expect(h(other, 'x-cache')).toBe('MISS');
    expect(rig.app.log.count('/api/v1/echo')).toBe(2);
  });

  it('marks methods other than GET/HEAD on a cached route as BYPASS', async () => {
    rig = await startRig(echoCached('{ ttl: 1h }').replace('methods: [GET, HEAD]', 'methods: [GET, HEAD, PUT]'));
    const r = await send(rig.proxy.url, echo(), { method: 'PUT', body: 'x' });
    expect(r.status).toBe(200);
    expect(h(r, 'x-cache')).toBe('BYPASS');
  });
});
