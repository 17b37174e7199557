import { afterEach, describe, expect, it } from 'vitest';
import { echo, echoCached, h, send, startRig, type Rig } from './harness.js';

// A generous policy ttl and the app asking for a long freshness: only the
// rule under test can keep each of these out of the cache.
describe('responses that are never stored', () => {
  let rig: Rig;
  afterEach(() => rig.close());

  it.each([
    ['Set-Cookie', { cache_control: 'max-age=300', set_cookie: '1' }],
    ['Cache-Control: private', { cache_control: 'private, max-age=300' }],
    ['Cache-Control: no-store', { cache_control: 'no-store, max-age=300' }],
    ['status 500', { cache_control: 'max-age=300', status: '500' }],
    ['status 201 without explicit freshness', { status: '201' }],
    ['status 503 even with max-age', { cache_control: 'max-age=300', status: '503' }],
    ['Vary: *', { cache_control: 'max-age=300', header: 'Vary:accept, *' }],
  ])('%s: every request reaches the app', async (_name, params) => {
    rig = await startRig(echoCached('{ ttl: 1h }'));
    const path = echo(params);
    const a = await send(rig.proxy.url, path);
    const b = await send(rig.proxy.url, path);
    expect(h(a, 'x-cache')).toBe('MISS');
    expect(h(b, 'x-cache')).toBe('MISS');
    expect(h(b, 'cache-status')).not.toContain('stored');
    expect(rig.app.log.count('/api/v1/echo')).toBe(2);
  });
});
