import { afterEach, describe, expect, it } from 'vitest';
import { adminPost, echo, h, metric, send, startRig, type Rig } from './harness.js';

const POLICY = `breakers:
  app:
    failure_rate: 50%
    window: 10
    min_calls: 4
    consecutive_failures: 3
    slow_call: 5s
    open_for: 1h
    half_open_calls: 2
caches:
  c: { ttl: 0, stale_if_error: 10m }
routes:
  - match: { path: /api/v1/echo, methods: [GET, HEAD] }
    cache: c
    breaker: app
`;

describe('stale-if-error while the breaker is open', () => {
  let rig: Rig;
  afterEach(() => rig.close());

  it('answers STALE from the cache without touching the app; without an entry the client gets 503 circuit_open', async () => {
    rig = await startRig(POLICY);
    const path = echo({ cache_control: 'max-age=0' });
    const first = await send(rig.proxy.url, path);
    expect(rig.app.log.count('/api/v1/echo')).toBe(1);

    const forced = await adminPost(rig.proxy.adminUrl, '/admin/breakers/app/open');
    expect(forced.status).toBe(200);

    const r = await send(rig.proxy.url, path);
    expect(r.status).toBe(200);
    expect(h(r, 'x-cache')).toBe('STALE');
    expect(h(r, 'cache-status')).toContain('detail=stale-if-error');
    expect(r.body).toBe(first.body);
    expect(rig.app.log.count('/api/v1/echo')).toBe(1);
    expect(await metric(rig.proxy.adminUrl, 'cache_stale_served_total{cache="c"}')).toBe(1);

    const cold = await send(rig.proxy.url, echo({ cache_control: 'max-age=0', n: 2 }));
    expect(cold.status).toBe(503);
    expect(h(cold, 'content-type')).toContain('application/problem+json');
    expect(JSON.parse(cold.body)).toMatchObject({ code: 'circuit_open' });
    expect(rig.app.log.count('/api/v1/echo')).toBe(1);
  });
});
