import { describe, it, expect } from 'vitest';
import { startApp, type AppHandle } from '../../app/server.js';
import { closeAfterEach, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { metric, send, system } from './integration.js';

let app: AppHandle;
let gw: TestProxy;
const track = closeAfterEach();

const POLICY = `
rate_limits:
  per-ip:
    key: ip
    limits: [3/1m, 1000/1h]
  per-api-key:
    key: header:x-api-key
    limits: [2/1h]
  trial:
    key: ip
    limits: [1/1h]
    mode: shadow
routes:
  - match: { path: /docs/** }
    rate_limit: off
  - match: { path: /api/v1/assessments, methods: [POST] }
    rate_limit: [per-ip, per-api-key]
  - match: { path: /api/v1/candidates }
    rate_limit: [trial]
  - match: { path: /** }
    rate_limit: per-ip
`;

describe('rate limits through the real proxy', () => {
  it('answers with the fields, then 429 problem+json with Retry-After; the app never sees the rejected request', async () => {
    app = track(await startApp({ port: 0 }));
    gw = track(await startTestProxy(app.url, POLICY));
    const url = `${gw.url}/api/v1/assessments/a1`;
    const ok = [];
    for (let i = 0; i < 3; i++) ok.push(await send(url));
    expect(ok.map((a) => a.headers['x-ratelimit-remaining'])).toEqual(['2', '1', '0']);
    expect(ok[0]!.headers).toMatchObject({
      'x-ratelimit-limit': '3',
      'x-ratelimit-reset': '20',
      'ratelimit-policy': '"per-ip";q=3;w=60, "per-ip-1h";q=1000;w=3600',
      ratelimit: '"per-ip";r=2;t=20',
    });
    const seen = app.log.count('/api/v1/assessments/a1');

    const no = await send(url);
    expect(no.status).toBe(429);
    expect(no.headers['content-type']).toBe('application/problem+json');
    expect(Number(no.headers['retry-after'])).toBeGreaterThanOrEqual(Number(no.headers['x-ratelimit-reset']));
    expect(Number(no.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(no.headers['x-ratelimit-remaining']).toBe('0');
    expect(JSON.parse(no.body)).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(JSON.parse(no.body).detail).toContain('per-ip');
    expect(app.log.count('/api/v1/assessments/a1')).toBe(seen);

    expect(await metric(gw.adminUrl, 'http_requests_limited_total{policy="per-ip",route="/**"}')).toBe(1);
    expect((await system(gw.adminUrl)).rate_limits['per-ip']).toMatchObject({ limited_total: 1 });
    const line = gw.logs.find((l) => l.status_code === 429);
    expect(line).toMatchObject({ limited_by: 'per-ip', route: '/**' });
  });

  it('never limits rate_limit: off routes or the proxy\'s own status endpoints', async () => {
    app = track(await startApp({ port: 0 }));
    gw = track(await startTestProxy(app.url, POLICY));
    for (let i = 0; i < 4; i++) await send(`${gw.url}/api/v1/assessments/a1`);
    expect((await send(`${gw.url}/api/v1/assessments/a1`)).status).toBe(429);
    for (let i = 0; i < 10; i++) {
      const docs = await send(`${gw.url}/docs/index.html`);
      expect(docs.status).not.toBe(429);
      expect(docs.headers['ratelimit-policy']).toBeUndefined();
      expect((await send(`${gw.url}/api/v1/status/liveness`)).status).toBe(200);
      expect((await send(`${gw.url}/health`)).status).not.toBe(429);
    }
  });

  it('several policies on a route: the one that rejects is named, the other is not charged', async () => {
    app = track(await startApp({ port: 0 }));
    gw = track(await startTestProxy(app.url, POLICY));
    const post = (key: string) =>
      send(`${gw!.url}/api/v1/assessments`, { 'x-api-key': key, 'content-type': 'application/json' }, 'POST', '{}');
    // whatever the app answers to this body, what matters is who answers 429
    const answers = [await post('k1'), await post('k1'), await post('k1')];
    expect(answers.map((a) => a.status === 429)).toEqual([false, false, true]);
    expect(JSON.parse(answers[2]!.body).detail).toContain('per-api-key');
    expect(answers[1]!.headers.ratelimit).toBe('"per-ip";r=1;t=40, "per-api-key";r=0;t=3600');
    // per-ip was charged twice, not three times: one more request fits
    const other = await post('k2');
    expect(other.status).not.toBe(429);
    expect(other.headers['x-ratelimit-remaining']).toBe('0');
  });

  it('shadow: counted, exported and logged, never rejected', async () => {
    app = track(await startApp({ port: 0 }));
    gw = track(await startTestProxy(app.url, POLICY));
    const as = [];
    for (let i = 0; i < 5; i++) as.push(await send(`${gw.url}/api/v1/candidates`));
    expect(as.every((a) => a.status !== 429)).toBe(true);
    expect(as.every((a) => a.headers['ratelimit-policy'] === undefined)).toBe(true);
    expect(app.log.count('/api/v1/candidates')).toBe(5);
    expect(await metric(gw.adminUrl, 'http_requests_limited_total{policy="trial",route="/api/v1/candidates"}')).toBe(4);
    expect(gw.logs.filter((l) => l.limited_by === 'trial (shadow)')).toHaveLength(4);
  });
});
