import { describe, it, expect } from 'vitest';
import { startApp, type AppHandle } from '../../app/server.js';
import { closeAfterEach, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { BREAKER_POLICY, breakerState, get, metric, until } from './integration.js';

let app: AppHandle;
let gw: TestProxy;
const track = closeAfterEach();

describe('breaker against the real app', () => {
  it('failing app -> OPEN -> app receives nothing -> HALF_OPEN -> CLOSED', async () => {
    app = track(await startApp({ port: 0 }));
    gw = track(await startTestProxy(app.url, BREAKER_POLICY({ openFor: '600ms', consecutive: 3, halfOpen: 2 })));
    const url = `${gw.url}/api/v1/candidates`;
    await app.faults.set({ mode: 'fail', status: 503, paths: '/api/' });

    for (let i = 0; i < 3; i++) expect((await get(url)).status).toBe(503);
    expect(app.log.count('/api/')).toBe(3);

    // OPEN: fail fast, problem+json, Retry-After; the app sees nothing.
    const answers = await Promise.all(Array.from({ length: 10 }, () => get(url)));
    for (const a of answers) {
      expect(a.status).toBe(503);
      expect(a.headers['content-type']).toBe('application/problem+json');
      expect(a.headers['retry-after']).toBe('1');
      expect(JSON.parse(a.body)).toMatchObject({ code: 'circuit_open', status: 503 });
    }
    expect(app.log.count('/api/')).toBe(3);
    expect(await metric(gw.adminUrl, 'circuit_breaker_state{name="app"}')).toBe(1);
    const open = await breakerState(gw.adminUrl);
    expect(open?.state).toBe('OPEN');
    expect(open?.opened_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    const sys = JSON.parse((await get(`${gw.adminUrl}/api/v1/status/system`)).body) as { health: { components: Record<string, string> } };
    expect(sys.health.components.circuit_breakers).toBe('degraded');
    expect(gw.logs.filter((l) => String(l.message).startsWith('Circuit breaker app CLOSED -> OPEN'))).toHaveLength(1);

    // The app recovers; after open_for the breaker lets trials through.
    await app.faults.set({ mode: 'none' });
    await until(async () => (await breakerState(gw!.adminUrl))?.state === 'HALF_OPEN');
    expect(app.log.count('/api/')).toBe(3);
    expect((await get(url)).status).toBe(200);
    expect((await get(url)).status).toBe(200);
    expect((await breakerState(gw.adminUrl))?.state).toBe('CLOSED');
    expect(await metric(gw.adminUrl, 'circuit_breaker_state{name="app"}')).toBe(0);
    expect(await metric(gw.adminUrl, 'circuit_breaker_transitions_total{name="app",to="OPEN"}')).toBe(1);
    expect(await metric(gw.adminUrl, 'circuit_breaker_transitions_total{name="app",to="CLOSED"}')).toBe(1);
    expect(app.log.count('/api/')).toBe(5);
  });

  it('4xx answers never open the breaker', async () => {
    app = track(await startApp({ port: 0 }));
    gw = track(await startTestProxy(app.url, BREAKER_POLICY({ consecutive: 2 })));
    for (let i = 0; i < 8; i++) expect((await get(`${gw.url}/api/v1/candidates/no-such-id`)).status).toBe(404);
    expect(await breakerState(gw.adminUrl)).toMatchObject({ state: 'CLOSED', failure_rate: 0 });
  });
});
