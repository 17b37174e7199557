import { afterEach, describe, expect, it } from 'vitest';
import { echo, echoCached, metric, send, startRig, systemStatus, type Rig } from './harness.js';

describe('cache observability', () => {
  let rig: Rig;
  afterEach(() => rig.close());

  it('the caches section of /api/v1/status/system and the /metrics series follow hits and misses', async () => {
    rig = await startRig(echoCached('{ ttl: 1h }'));
    const before = await systemStatus(rig.proxy.url);
    expect(before.caches.c).toEqual({ entries: 0, bytes: 0, hits: 0, misses: 0, hit_ratio: 0, stale: 0 });

    const path = echo({ cache_control: 'max-age=300' });
    const miss = await send(rig.proxy.url, path);
    await send(rig.proxy.url, path);
    await send(rig.proxy.url, path);
    await send(rig.proxy.url, echo({ cache_control: 'no-store' }));

    const doc = await systemStatus(rig.proxy.url);
    const c = doc.caches.c!;
    expect(c).toMatchObject({ entries: 1, hits: 2, misses: 2, hit_ratio: 0.5 });
    expect(c.bytes).toBeGreaterThan(Buffer.byteLength(miss.body));
    // the admin listener serves the same document
    expect((await systemStatus(rig.proxy.adminUrl)).caches.c).toMatchObject({ entries: 1, hits: 2, misses: 2 });

    const admin = rig.proxy.adminUrl;
    expect(await metric(admin, 'cache_hits_total{cache="c"}')).toBe(2);
    expect(await metric(admin, 'cache_misses_total{cache="c"}')).toBe(2);
    expect(await metric(admin, 'cache_entries{cache="c"}')).toBe(1);
    expect(await metric(admin, 'cache_bytes{cache="c"}')).toBe(c.bytes);
    expect(await metric(admin, 'cache_stale_served_total{cache="c"}')).toBe(0);
  });
});
