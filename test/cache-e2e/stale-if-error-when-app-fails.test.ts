import { afterEach, describe, expect, it } from 'vitest';
import type { FaultMode } from '../../app/faults.js';
import { echo, echoCached, h, metric, send, startRig, type Rig } from './harness.js';

// max-age=0: stored already stale, so the next request goes to the app
const STALE_AT_ONCE = { cache_control: 'max-age=0' };

describe('stale-if-error when the app fails', () => {
  let rig: Rig;
  afterEach(() => rig.close());

  it.each<[string, FaultMode]>([
    ['answers 5xx', 'fail'],
    ['refuses connections', 'refuse'],
    ['resets the connection', 'reset'],
  ])('serves the stored response as STALE when the app %s', async (_name, mode) => {
    rig = await startRig(echoCached('{ ttl: 0, stale_if_error: 10m }', '    timeout: 2s'));
    const path = echo(STALE_AT_ONCE);
    const first = await send(rig.proxy.url, path);
    expect(h(first, 'x-cache')).toBe('MISS');

    await rig.app.faults.set({ mode, status: 503, paths: '/api/v1/echo' });
    const r = await send(rig.proxy.url, path);
    expect(r.status).toBe(200);
    expect(h(r, 'x-cache')).toBe('STALE');
    expect(h(r, 'cache-status')).toContain('detail=stale-if-error');
    expect(r.body).toBe(first.body);
    expect(await metric(rig.proxy.adminUrl, 'cache_stale_served_total{cache="c"}')).toBe(1);
  });

  it('passes the error through when nothing stale may be served (no window, or must-revalidate)', async () => {
    rig = await startRig(echoCached('{ ttl: 0, stale_if_error: 10m }'));
    const guarded = echo({ cache_control: 'max-age=0, must-revalidate' });
    await send(rig.proxy.url, guarded);
    await rig.app.faults.set({ mode: 'fail', status: 503, paths: '/api/v1/echo' });
    const r = await send(rig.proxy.url, guarded);
    expect(r.status).toBe(503);
    expect(h(r, 'x-cache')).toBe('MISS');
    const never = await send(rig.proxy.url, echo({ cache_control: 'max-age=0', n: 2 }));
    expect(never.status).toBe(503);
    expect(await metric(rig.proxy.adminUrl, 'cache_stale_served_total{cache="c"}')).toBe(0);
  });
});
