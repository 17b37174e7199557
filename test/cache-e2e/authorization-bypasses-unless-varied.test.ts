import { afterEach, describe, expect, it } from 'vitest';
import { echo, echoCached, h, send, startRig, type Rig } from './harness.js';

const path = echo({ cache_control: 'max-age=300' });
const alice = { authorization: 'Bearer alice' };
const bob = { authorization: 'Bearer bob' };

describe('requests with Authorization', () => {
  let rig: Rig;
  afterEach(() => rig.close());

  it('bypass the cache when authorization is not in vary: never stored, never answered from it', async () => {
    rig = await startRig(echoCached('{ ttl: 1h }'));
    const a1 = await send(rig.proxy.url, path, { headers: alice });
    const a2 = await send(rig.proxy.url, path, { headers: alice });
    expect(h(a1, 'x-cache')).toBe('BYPASS');
    expect(h(a2, 'x-cache')).toBe('BYPASS');
    expect(h(a2, 'cache-status')).toContain('fwd=bypass');
    // an anonymous request neither sees Alice's answer
    const anon = await send(rig.proxy.url, path);
    expect(h(anon, 'x-cache')).toBe('MISS');
    // ... nor is it served to her afterwards
    expect(h(await send(rig.proxy.url, path, { headers: alice }), 'x-cache')).toBe('BYPASS');
    expect(rig.app.log.count('/api/v1/echo')).toBe(4);
  });

  it('are cached per credential when authorization is in vary', async () => {
    rig = await startRig(echoCached('{ ttl: 1h, vary: [authorization] }'));
    const a1 = await send(rig.proxy.url, path, { headers: alice });
    const a2 = await send(rig.proxy.url, path, { headers: alice });
    const b1 = await send(rig.proxy.url, path, { headers: bob });
    expect([h(a1, 'x-cache'), h(a2, 'x-cache'), h(b1, 'x-cache')]).toEqual(['MISS', 'HIT', 'MISS']);
    expect(a2.body).toBe(a1.body);
    expect(b1.body).toContain('Bearer bob');
    expect(rig.app.log.count('/api/v1/echo')).toBe(2);
  });
});
