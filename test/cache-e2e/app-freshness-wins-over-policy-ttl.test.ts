import { afterEach, describe, expect, it } from 'vitest';
import { echo, echoCached, h, send, startRig, type Rig } from './harness.js';

/** Seconds of freshness left that the HIT's Cache-Status reports. */
function ttlOf(cacheStatus: string): number {
  const m = /; ttl=(-?[0-9]+)/.exec(cacheStatus);
  if (!m) throw new Error(`no ttl in ${cacheStatus}`);
  return Number(m[1]);
}

describe("the app's freshness wins over the policy ttl", () => {
  let rig: Rig;
  afterEach(() => rig.close());

  it("uses the app's max-age, not the policy ttl, when the app states one", async () => {
    rig = await startRig(echoCached('{ ttl: 1h }'));
    const path = echo({ cache_control: 'max-age=120' });
    await send(rig.proxy.url, path);
    const hit = await send(rig.proxy.url, path);
    expect(h(hit, 'x-cache')).toBe('HIT');
    const left = ttlOf(h(hit, 'cache-status'));
    expect(left).toBeLessThanOrEqual(120);
    expect(left).toBeGreaterThan(60); // far below the policy's 3600
  });

  it("an app's max-age=0 is stale at once even though the policy ttl is an hour", async () => {
    rig = await startRig(echoCached('{ ttl: 1h }'));
    const path = echo({ cache_control: 'max-age=0' });
    await send(rig.proxy.url, path);
    const again = await send(rig.proxy.url, path);
    expect(h(again, 'x-cache')).toBe('MISS');
    expect(rig.app.log.count('/api/v1/echo')).toBe(2);
  });

  it('the policy ttl fills in for a response that declares no freshness', async () => {
    rig = await startRig(echoCached('{ ttl: 1h }'));
    await send(rig.proxy.url, echo({ n: 1 }));
    const hit = await send(rig.proxy.url, echo({ n: 1 }));
    expect(h(hit, 'x-cache')).toBe('HIT');
    expect(ttlOf(h(hit, 'cache-status'))).toBeGreaterThan(3000);
  });

  it('max_ttl caps the max-age the app states', async () => {
    rig = await startRig(echoCached('{ ttl: 1m, max_ttl: 30s }'));
    const path = echo({ cache_control: 'max-age=86400' });
    await send(rig.proxy.url, path);
    const hit = await send(rig.proxy.url, path);
    expect(h(hit, 'x-cache')).toBe('HIT');
    expect(ttlOf(h(hit, 'cache-status'))).toBeLessThanOrEqual(30);
  });

  describe('ttl: 0 stores only what the app marks cacheable', () => {
    it('does not store a response without explicit freshness', async () => {
      rig = await startRig(echoCached('{ ttl: 0 }'));
      const first = await send(rig.proxy.url, echo());
      expect(h(first, 'cache-status')).not.toContain('stored');
      const second = await send(rig.proxy.url, echo());
      expect(h(second, 'x-cache')).toBe('MISS');
      expect(rig.app.log.count('/api/v1/echo')).toBe(2);
    });

    it.each([
      ['max-age', { cache_control: 'max-age=300' }],
      ['s-maxage', { cache_control: 's-maxage=300' }],
      ['Expires in the future', { header: `Expires:${new Date(Date.now() + 3_600_000).toUTCString()}` }],
    ])('stores a response with %s', async (_name, params) => {
      rig = await startRig(echoCached('{ ttl: 0 }'));
      await send(rig.proxy.url, echo(params));
      const hit = await send(rig.proxy.url, echo(params));
      expect(h(hit, 'x-cache')).toBe('HIT');
      expect(rig.app.log.count('/api/v1/echo')).toBe(1);
    });

    it('treats an invalid Expires as already stale', async () => {
      rig = await startRig(echoCached('{ ttl: 0 }'));
      const path = echo({ header: 'Expires:0' });
      await send(rig.proxy.url, path);
      expect(h(await send(rig.proxy.url, path), 'x-cache')).toBe('MISS');
    });
  });
});
