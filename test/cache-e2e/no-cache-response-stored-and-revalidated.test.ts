import { afterEach, describe, expect, it } from 'vitest';
import { echo, echoCached, h, send, startRig, type Rig } from './harness.js';

// Cache-Control: no-cache from the app means "store, but ask me before every
// reuse" (RFC 9111 §5.2.2.4): with a validator that is explicit enough to
// store even under `ttl: 0`.
describe('a response with Cache-Control: no-cache', () => {
  let rig: Rig;
  afterEach(() => rig.close());

  it('is stored with its ETag and revalidated on the next request, even with ttl: 0', async () => {
    rig = await startRig(echoCached('{ ttl: 0 }'));
    const path = echo({ cache_control: 'no-cache', header: 'ETag:"n1"' });
    const first = await send(rig.proxy.url, path);
    expect(h(first, 'cache-status')).toContain('stored');
    const second = await send(rig.proxy.url, path);
    expect(h(second, 'x-cache')).toBe('MISS');
    const seen = rig.app.log.entries.filter((e) => e.url.startsWith('/api/v1/echo'));
    expect(seen).toHaveLength(2);
    expect(seen[1]!.headers['if-none-match']).toBe('"n1"');
  });

  it('is not stored without a validator: nothing to revalidate with', async () => {
    rig = await startRig(echoCached('{ ttl: 0 }'));
    const path = echo({ cache_control: 'no-cache' });
    const first = await send(rig.proxy.url, path);
    expect(h(first, 'cache-status')).not.toContain('stored');
    await send(rig.proxy.url, path);
    const seen = rig.app.log.entries.filter((e) => e.url.startsWith('/api/v1/echo'));
    expect(seen[1]!.headers['if-none-match']).toBeUndefined();
  });
});
