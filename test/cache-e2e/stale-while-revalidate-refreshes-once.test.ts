import { afterEach, describe, expect, it } from 'vitest';
import { echo, echoCached, h, metric, send, startRig, until, type Rig } from './harness.js';

describe('stale-while-revalidate', () => {
  let rig: Rig;
  afterEach(() => rig.close());

  it('answers from the stale entry at once and refreshes it with one background request', async () => {
    rig = await startRig(echoCached('{ ttl: 0, stale_while_revalidate: 1h }'));
    const path = echo({ cache_control: 'max-age=0' });
    const first = await send(rig.proxy.url, path);
    expect(h(first, 'x-cache')).toBe('MISS');

    // The refresh is held by the app for a while: every client meanwhile
    // still gets the stale copy, and no second refresh starts.
    await rig.app.faults.set({ mode: 'slow', delayMs: 3000, paths: '/api/v1/echo' });
    const burst = await Promise.all(Array.from({ length: 20 }, () => send(rig.proxy.url, path)));
    for (const r of burst) {
      expect(r.status).toBe(200);
      expect(h(r, 'x-cache')).toBe('STALE');
      expect(h(r, 'cache-status')).toContain('detail=stale-while-revalidate');
      expect(r.body).toBe(first.body);
    }
    await until(() => rig.app.log.count('/api/v1/echo') === 2);
    expect(rig.app.log.count('/api/v1/echo')).toBe(2);
    expect(await metric(rig.proxy.adminUrl, 'cache_stale_served_total{cache="c"}')).toBe(20);

    // once the refresh lands, the stored response is the new one
    await rig.app.faults.set({ mode: 'none' });
    let latest = first;
    await until(async () => {
      latest = await send(rig.proxy.url, path);
      return latest.body !== first.body;
    });
    expect(latest.status).toBe(200);
    expect(JSON.parse(latest.body)).toMatchObject({ method: 'GET', path: '/api/v1/echo' });
  });

  it('is not used past must-revalidate: the client waits for the app', async () => {
    rig = await startRig(echoCached('{ ttl: 0, stale_while_revalidate: 1h }'));
    const path = echo({ cache_control: 'max-age=0, must-revalidate' });
    await send(rig.proxy.url, path);
    const r = await send(rig.proxy.url, path);
    expect(h(r, 'x-cache')).toBe('MISS');
    expect(rig.app.log.count('/api/v1/echo')).toBe(2);
  });
});
