import { describe, it, expect } from 'vitest';
import { startApp, type AppHandle } from '../../app/server.js';
import { closeAfterEach, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { BREAKER_POLICY, breakerState, get } from './integration.js';

let app: AppHandle;
let gw: TestProxy;
const track = closeAfterEach();

describe('admin breaker forcing', () => {
  it('open fails requests fast without reaching the app; close lets traffic through again', async () => {
    app = track(await startApp({ port: 0 }));
    gw = track(await startTestProxy(app.url, BREAKER_POLICY({ openFor: '100ms' })));
    const url = `${gw.url}/api/v1/candidates`;
    expect((await get(`${gw.adminUrl}/admin/breakers/app/open`, 'POST')).status).toBe(200);
    const a = await get(url);
    expect(a.status).toBe(503);
    expect(JSON.parse(a.body)).toMatchObject({ code: 'circuit_open' });
    const opened = await breakerState(gw.adminUrl);
    expect(opened?.state).toBe('OPEN');
    expect(app.log.count('/api/')).toBe(0);
    expect((await get(`${gw.adminUrl}/admin/breakers/app/close`, 'POST')).status).toBe(200);
    expect((await get(url)).status).toBe(200);
    expect(gw.logs.some((l) => l.cause === 'forced' && l.to === 'OPEN' && l.level === 'warn')).toBe(true);
  });

  it('reset closes and clears counts; an unknown name is 404', async () => {
    app = track(await startApp({ port: 0 }));
    gw = track(await startTestProxy(app.url, BREAKER_POLICY()));
    await app.faults.set({ mode: 'fail', status: 500, paths: '/api/' });
    await get(`${gw.url}/api/v1/candidates`);
    expect((await breakerState(gw.adminUrl))?.failure_rate).toBe(1);
    expect((await get(`${gw.adminUrl}/admin/breakers/app/reset`, 'POST')).status).toBe(200);
    expect(await breakerState(gw.adminUrl)).toMatchObject({ state: 'CLOSED', failure_rate: 0 });
    expect((await get(`${gw.adminUrl}/admin/breakers/nope/open`, 'POST')).status).toBe(404);
  });
});
