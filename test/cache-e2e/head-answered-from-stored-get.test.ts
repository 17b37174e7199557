import { afterEach, describe, expect, it } from 'vitest';
import { echo, echoCached, h, send, startRig, type Rig } from './harness.js';

describe('HEAD on a cached route', () => {
  let rig: Rig;
  afterEach(() => rig.close());

  it('is answered from the stored GET: same headers, no body, the app not asked', async () => {
    rig = await startRig(echoCached('{ ttl: 1h }'));
    const path = echo({ cache_control: 'max-age=300', header: 'ETag:"g1"' });
    const get = await send(rig.proxy.url, path);
    const head = await send(rig.proxy.url, path, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(h(head, 'x-cache')).toBe('HIT');
    expect(head.body).toBe('');
    expect(h(head, 'content-length')).toBe(String(Buffer.byteLength(get.body)));
    expect(h(head, 'etag')).toBe('"g1"');
    expect(h(head, 'content-type')).toBe(h(get, 'content-type'));
    expect(rig.app.log.count('/api/v1/echo')).toBe(1);
  });

  it('never fills the cache itself: a GET after a HEAD miss still goes to the app', async () => {
    rig = await startRig(echoCached('{ ttl: 1h }'));
    const path = echo({ cache_control: 'max-age=300' });
    const head = await send(rig.proxy.url, path, { method: 'HEAD' });
    expect(h(head, 'x-cache')).toBe('MISS');
    const get = await send(rig.proxy.url, path);
    expect(h(get, 'x-cache')).toBe('MISS');
    expect(get.body).toContain('"method":"GET"');
    expect(rig.app.log.entries.filter((e) => e.url.startsWith('/api/v1/echo')).map((e) => e.method)).toEqual(['HEAD', 'GET']);
  });
});
