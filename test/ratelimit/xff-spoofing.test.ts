import { describe, it, expect, afterEach } from 'vitest';
import { startApp, type AppHandle } from '../../app/server.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { send } from './integration.js';

let app: AppHandle | undefined;
let gw: TestProxy | undefined;
afterEach(async () => {
  await gw?.close();
  await app?.close();
  gw = app = undefined;
});

const POLICY = `
rate_limits:
  per-ip:
    key: ip
    limits: [3/1h]
routes:
  - match: { path: /** }
    rate_limit: per-ip
`;

describe('X-Forwarded-For and the client identity', () => {
  it('an untrusted peer gets no fresh budget by inventing X-Forwarded-For', async () => {
    app = await startApp({ port: 0 });
    gw = await startTestProxy(app.url, POLICY); // trusted_proxies: [] (default)
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await send(`${gw.url}/api/v1/candidates`, { 'x-forwarded-for': `198.51.100.${i}` })).status);
    }
    expect(statuses.filter((s) => s === 429)).toHaveLength(3);
    expect(gw.logs.filter((l) => l.status_code !== undefined).every((l) => l.client_ip === '127.0.0.1')).toBe(true);
  });

  it('behind a trusted proxy the right-most untrusted hop is limited, whatever the client prepends', async () => {
    app = await startApp({ port: 0 });
    gw = await startTestProxy(app.url, POLICY, { server: 'trusted_proxies: [127.0.0.0/8]' });
    const as = (client: string, spoof: string) =>
      send(`${gw!.url}/api/v1/candidates`, { 'x-forwarded-for': `${spoof}, ${client}, 127.0.0.5` });
    const a = [];
    for (let i = 0; i < 4; i++) a.push((await as('203.0.113.10', `6.6.6.${i}`)).status);
    expect(a).toEqual([200, 200, 200, 429]); // one client, however it spoofs the left part
    expect((await as('203.0.113.11', '6.6.6.6')).status).toBe(200); // another client has its own budget
    expect(gw.logs.some((l) => l.client_ip === '203.0.113.10' && l.status_code === 429)).toBe(true);
  });
});
