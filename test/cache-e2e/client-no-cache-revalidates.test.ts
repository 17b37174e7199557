import { afterEach, describe, expect, it } from 'vitest';
import { echo, echoCached, h, send, startRig, type Rig } from './harness.js';

describe('a client request with Cache-Control: no-cache', () => {
  let rig: Rig;
  afterEach(() => rig.close());

  it('goes to the app with the stored validator even though the entry is fresh, and refreshes it', async () => {
    rig = await startRig(echoCached('{ ttl: 1h }'));
    const path = echo({ cache_control: 'max-age=300', header: 'ETag:"v1"' });
    const first = await send(rig.proxy.url, path);
    expect(h(await send(rig.proxy.url, path), 'x-cache')).toBe('HIT');

    const fresh = await send(rig.proxy.url, path, { headers: { 'cache-control': 'no-cache' } });
    expect(fresh.status).toBe(200);
    expect(h(fresh, 'x-cache')).toBe('MISS');
    expect(h(fresh, 'cache-status')).toContain('fwd=request');
    const seen = rig.app.log.entries.filter((e) => e.url.startsWith('/api/v1/echo'));
    expect(seen).toHaveLength(2);
    expect(seen[1]!.headers['if-none-match']).toBe('"v1"');
    // the app answered 200 in full: that answer replaced the stored one
    expect(fresh.body).not.toBe(first.body);
    const after = await send(rig.proxy.url, path);
    expect(h(after, 'x-cache')).toBe('HIT');
    expect(after.body).toBe(fresh.body);
  });

  it('Pragma: no-cache (without Cache-Control) revalidates too', async () => {
    rig = await startRig(echoCached('{ ttl: 1h }'));
    const path = echo({ cache_control: 'max-age=300' });
    await send(rig.proxy.url, path);
    const r = await send(rig.proxy.url, path, { headers: { pragma: 'no-cache' } });
    expect(h(r, 'x-cache')).toBe('MISS');
    expect(rig.app.log.count('/api/v1/echo')).toBe(2);
  });

  it('Cache-Control: no-store neither uses nor fills the cache', async () => {
    rig = await startRig(echoCached('{ ttl: 1h }'));
    const path = echo({ cache_control: 'max-age=300' });
    const r = await send(rig.proxy.url, path, { headers: { 'cache-control': 'no-store' } });
    expect(h(r, 'x-cache')).toBe('BYPASS');
    expect(h(await send(rig.proxy.url, path), 'x-cache')).toBe('MISS');
  });
});
