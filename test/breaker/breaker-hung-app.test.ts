import { describe, it, expect } from 'vitest';
import { startApp, type AppHandle } from '../../app/server.js';
import { closeAfterEach, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { BREAKER_POLICY, breakerState, get } from './integration.js';

let app: AppHandle;
let gw: TestProxy;
const track = closeAfterEach();

describe('breaker against a hung app', () => {
  it('504s open the breaker, then requests fail fast without reaching the app', async () => {
    app = track(await startApp({ port: 0 }));
    gw = track(await startTestProxy(app.url, BREAKER_POLICY({ openFor: '1m', consecutive: 3 }).replace('    breaker: app', '    breaker: app\n    timeout: 200ms')));
    await app.faults.set({ mode: 'hang', paths: '/api/' });
    const url = `${gw.url}/api/v1/candidates`;
    for (let i = 0; i < 3; i++) {
      const a = await get(url);
      expect(a.status).toBe(504);
      expect(JSON.parse(a.body)).toMatchObject({ code: 'upstream_timeout' });
    }
    expect(app.log.count('/api/')).toBe(3);
    const a = await get(url);
    expect(a.status).toBe(503);
    expect(JSON.parse(a.body)).toMatchObject({ code: 'circuit_open' });
    expect(Number(a.headers['retry-after'])).toBeGreaterThanOrEqual(59);
    expect(app.log.count('/api/')).toBe(3);
    expect((await breakerState(gw.adminUrl))?.state).toBe('OPEN');
  });
});
