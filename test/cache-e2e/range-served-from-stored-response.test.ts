import { afterEach, describe, expect, it } from 'vitest';
import { echo, echoCached, h, send, startRig, type Rig } from './harness.js';

describe('a Range request for a stored complete response', () => {
  let rig: Rig;
  afterEach(() => rig.close());

  const path = echo({ cache_control: 'max-age=300', header: 'ETag:"r1"' });

  async function stored(): Promise<string> {
    rig = await startRig(echoCached('{ ttl: 0 }'));
    const full = await send(rig.proxy.url, path);
    expect(h(full, 'x-cache')).toBe('MISS');
    return full.body;
  }

  it.each([
    ['bytes=0-9', (b: string) => [0, 9, b.slice(0, 10)] as const],
    ['bytes=5-', (b: string) => [5, b.length - 1, b.slice(5)] as const],
    ['bytes=-7', (b: string) => [b.length - 7, b.length - 1, b.slice(-7)] as const],
  ])('%s is answered from the cache with a 206 and Content-Range', async (range, want) => {
    const full = await stored();
    const [first, last, text] = want(full);
    const r = await send(rig.proxy.url, path, { headers: { range } });
    expect(r.status).toBe(206);
    expect(h(r, 'x-cache')).toBe('HIT');
    expect(h(r, 'content-range')).toBe(`bytes ${first}-${last}/${Buffer.byteLength(full)}`);
    expect(r.body).toBe(text);
    expect(rig.app.log.count('/api/v1/echo')).toBe(1);
  });

  it.each([
    ['several ranges', { range: 'bytes=0-1,4-5' }],
    ['an unsatisfiable range', { range: 'bytes=999999-' }],
    ['another unit', { range: 'items=0-1' }],
    ['an If-Range that does not match', { range: 'bytes=0-9', 'if-range': '"other"' }],
  ])('%s gets the full stored 200', async (_name, headers) => {
    const full = await stored();
    const r = await send(rig.proxy.url, path, { headers });
    expect(r.status).toBe(200);
    expect(h(r, 'x-cache')).toBe('HIT');
    expect(r.body).toBe(full);
  });

  it('a matching If-Range still gets the range', async () => {
    const full = await stored();
    const r = await send(rig.proxy.url, path, { headers: { range: 'bytes=0-3', 'if-range': '"r1"' } });
    expect(r.status).toBe(206);
    expect(r.body).toBe(full.slice(0, 4));
  });
});
