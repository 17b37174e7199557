import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startApp, type AppHandle } from '../../app/server.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { sendRaw, problemOf } from './raw-client.js';

let app: AppHandle;
let gw: TestProxy;

// One rate-limited route, a `rate_limit: off` exception, and a catch-all with
// no policy: the path tricks below try to reach the limited route's handler
// in the app without its limit.
const POLICY = `
rate_limits:
  tight: { key: ip, limits: [1/1m] }
routes:
  - match: { path: /docs/** }
    rate_limit: off
  - match: { path: /api/v1/assessments, methods: [GET] }
    rate_limit: tight
  - match: { path: /** }
`;

beforeAll(async () => {
  app = await startApp({ port: 0 });
  gw = await startTestProxy(app.url, POLICY);
  // Spend the limited route's only token.
  const first = await get('/api/v1/assessments', 'spend');
  expect(first.status).toBe(200);
  expect(app.log.entries.filter((e) => e.url.startsWith('/api/')).map((e) => e.url)).toEqual(['/api/v1/assessments']);
});
afterAll(async () => {
  await gw?.close();
  await app?.close();
});

async function get(target: string, id: string): Promise<{ status: number; route: unknown; body: string }> {
  const r = await sendRaw(gw.url, `GET ${target} HTTP/1.1\r\nHost: api.example\r\nX-Request-ID: ${id}\r\n\r\n`, { responses: 1 });
  const res = r.responses[0];
  if (!res) throw new Error(`no answer for ${target}: ${JSON.stringify(r.raw)}`);
  const line = gw.logs.find((l) => l.request_id === id);
  return { status: res.status, route: line?.route, body: res.body };
}

// Spellings of /api/v1/assessments that must land on its route (and so be
// limited: 429) or be refused (400). Never 200 from the app.
const SAME_ROUTE: Array<[string, 429 | 400]> = [
  ['/api/v1//assessments', 429],
  ['//api/v1/assessments', 429],
  ['/api/v1/assessments/', 429],
  ['/api/v1/assessments//', 429],
  ['/api/v1/./assessments', 429],
  ['/./api/v1/assessments', 429],
  ['/api/v1/assessments/.', 429],
  ['/api/v1/x/../assessments', 429],
  ['/api/v1/assessments/x/..', 429],
  ['/api/v1/x/%2e%2e/assessments', 429],
  ['/api/v1/x/%2E%2E/assessments', 429],
  ['/api/v1/x/.%2e/assessments', 429],
  ['/api/v1/%2e/assessments', 429],
  ['/api/v1/%61ssessments', 429],
  ['/api/v1/assessments?', 429],
  ['/api/v1/assessments#fragment', 429],
  ['/api/v1/assessments?#', 429],
  ['/docs/../api/v1/assessments', 429],
  ['/docs/%2e%2e/api/v1/assessments', 429],
  ['/docs/x/../../api/v1/assessments', 429],
  ['http://api.example/api/v1/assessments', 429],
  ['http://api.example/docs/../api/v1/assessments', 429],
  ['HTTP://API.EXAMPLE/api/v1//assessments/', 429],
  ['/api/v1%2Fassessments', 400],
  ['/api/v1%2fassessments', 400],
  ['/docs/..%2F..%2Fapi/v1/assessments', 400],
  ['/docs%2F..%2Fapi/v1/assessments', 400],
  ['/api/v1%5Cassessments', 400],
  ['/api/v1\\assessments', 400],
  ['/api/v1/assessments%00', 400],
  ['/api/v1/assessments%0a', 400],
  ['/../api/v1/assessments', 400],
  ['/api/v1/assessments/%zz', 400],
  ['http://user@api.example/api/v1/assessments', 400],
  ['http://:80/api/v1/assessments', 400],
  ['http:///api/v1/assessments', 400],
  ['http://api.example\\@evil/api/v1/assessments', 400],
];

// Spellings that are a different path for the app too: they may be forwarded
// (without the limit), but the app must not serve the assessments list.
const OTHER_PATH = [
  '/API/v1/assessments',
  '/api/V1/Assessments',
  '/api/v1/assessments;x=1',
  '/api/v1/assessments%20',
  '/api/v1/x/%252e%252e/assessments',
  '/api/v1/x/%c0%ae%c0%ae/assessments',
  '/api/v1/assessments.json',
];

describe('path tricks cannot reach a route without its policies', () => {
  it.each(SAME_ROUTE)('%s → %i', async (target, expected) => {
    const id = `t-${Math.random().toString(36).slice(2)}`;
    const before = app.log.count('/api/');
    const r = await get(target, id);
    expect(r.status).toBe(expected);
    if (expected === 429) {
      expect(r.route).toBe('/api/v1/assessments');
      expect(JSON.parse(r.body)).toMatchObject({ code: 'rate_limited' });
    } else {
      expect(JSON.parse(r.body)).toMatchObject({ code: 'bad_request', request_id: id });
    }
    expect(app.log.count('/api/')).toBe(before);
  });

  it.each(OTHER_PATH)('%s is another path for the app as well (404 there, never the list)', async (target) => {
    const r = await get(target, `o-${Math.random().toString(36).slice(2)}`);
    expect(r.route).toBe('/**');
    expect(r.status).toBe(404);
  });

  it('the `rate_limit: off` exception holds only for its own paths', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await get('/docs/guide', `d-${i}`);
      expect(r.route).toBe('/docs/**');
      expect(r.status).not.toBe(429);
    }
  });

  it('the app receives the normalised path the route was matched on', async () => {
    app.log.clear();
    await get('/docs//guide/./intro/', 'n-1');
    await get('/docs/a/%2e%2e/b?q=1#frag', 'n-2');
    expect(app.log.entries.filter((e) => e.url.startsWith('/docs')).map((e) => e.url)).toEqual(['/docs/guide/intro', '/docs/b?q=1']);
  });

  // An upgrade leaves the HTTP pipeline for the WebSocket pass-through: it is admitted
  // through the route's rate limit (and breaker) first.
  it('an Upgrade header does not carry a request past the rate limit', async () => {
    const before = app.log.count('/api/');
    const r = await sendRaw(gw.url, 'GET /api/v1/assessments HTTP/1.1\r\nHost: api.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n', { deadlineMs: 2000 });
    expect(r.responses[0]?.status).toBe(429);
    expect(app.log.count('/api/')).toBe(before);
  });

  it('a rejected path is problem+json with the request id', async () => {
    const r = await sendRaw(gw.url, 'GET /a/../../etc/passwd HTTP/1.1\r\nHost: api.example\r\n\r\n', { responses: 1 });
    const p = problemOf(r.responses[0]);
    expect(p.status).toBe(400);
    expect(p.request_id).toBe(r.responses[0]!.headers['x-request-id']);
  });
});
