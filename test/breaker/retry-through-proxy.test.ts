import { describe, it, expect } from 'vitest';
import { startApp, type AppHandle } from '../../app/server.js';
import { closeAfterEach, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { breakerState, get } from './integration.js';

let app: AppHandle;
let gw: TestProxy;
const track = closeAfterEach();

const POLICY = (breaker: boolean): string => `
${breaker ? `breakers:
  app: { consecutive_failures: 1, open_for: 1m, window: 10, min_calls: 10 }` : ''}
routes:
  - match: { path: /api/** }
${breaker ? '    breaker: app' : ''}
    retry: { attempts: 2, on: [connect_error, 503], budget: 20% }
`;

describe('retries against the real app', () => {
  it('a GET reaches the app at most attempts + 1 times', async () => {
    app = track(await startApp({ port: 0 }));
    gw = track(await startTestProxy(app.url, POLICY(false)));
    await app.faults.set({ mode: 'fail', status: 503, paths: '/api/' });
    expect((await get(`${gw.url}/api/v1/candidates`)).status).toBe(503);
    expect(app.log.count('/api/')).toBe(3);
  });

  it('a failed attempt followed by a good one answers the good one', async () => {
    app = track(await startApp({ port: 0 }));
    gw = track(await startTestProxy(app.url, POLICY(false)));
    await app.faults.set({ mode: 'fail', status: 503, paths: '/api/', rate: 0.5 });
    for (let i = 0; i < 4; i++) expect((await get(`${gw.url}/api/v1/candidates`)).status).toBe(200);
  });

  it('a POST is never retried', async () => {
    app = track(await startApp({ port: 0 }));
    gw = track(await startTestProxy(app.url, POLICY(false)));
    await app.faults.set({ mode: 'fail', status: 503, paths: '/api/' });
    expect((await get(`${gw.url}/api/v1/echo`, 'POST', '{"a":1}')).status).toBe(503);
    expect((await get(`${gw.url}/api/v1/echo`, 'POST')).status).toBe(503);
    expect(app.log.count('/api/')).toBe(2);
  });

  it('the breaker sees one call per request and no retry happens once it is open', async () => {
    app = track(await startApp({ port: 0 }));
    gw = track(await startTestProxy(app.url, POLICY(true)));
    await app.faults.set({ mode: 'fail', status: 503, paths: '/api/' });
    expect((await get(`${gw.url}/api/v1/candidates`)).status).toBe(503);
    expect(app.log.count('/api/')).toBe(3);
    expect((await breakerState(gw.adminUrl))?.state).toBe('OPEN');
    for (let i = 0; i < 5; i++) expect((await get(`${gw.url}/api/v1/candidates`)).status).toBe(503);
    expect(app.log.count('/api/')).toBe(3);
  });
});
