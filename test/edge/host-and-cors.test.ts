import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { startApp, type AppHandle } from '../../app/server.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { sendRaw, problemOf, type WireResponse } from './raw-client.js';

let app: AppHandle;
let gw: TestProxy;

const POLICY = `
cors:
  allow_origins: [https://app.example]
  allow_methods: [GET, POST]
  allow_headers: [Authorization, Content-Type, X-Request-ID]
  expose_headers: [X-Request-ID, X-RateLimit-Remaining]
  allow_credentials: true
  max_age: 10m
rate_limits:
  once: { key: ip, limits: [1/1m] }
routes:
  - match: { path: /api/v1/echo, methods: [POST] }
    rate_limit: once
  - match: { path: /** }
`;

beforeAll(async () => {
  app = await startApp({ port: 0 });
  gw = await startTestProxy(app.url, POLICY, { server: 'allowed_hosts: [api.example]' });
});
afterAll(async () => {
  await gw?.close();
  await app?.close();
});
beforeEach(() => app.log.clear());

async function one(raw: string): Promise<WireResponse> {
  const r = await sendRaw(gw.url, raw, { responses: 1 });
  const res = r.responses[0];
  if (!res) throw new Error(`no answer: ${JSON.stringify(r.raw)}`);
  return res;
}

describe('allowed_hosts', () => {
  it('another Host gets 421 problem+json and reaches nothing', async () => {
    const res = await one('GET /api/v1/echo HTTP/1.1\r\nHost: evil.example\r\n\r\n');
    expect(res.status).toBe(421);
    expect(problemOf(res).code).toBe('host_not_allowed');
    expect(app.log.count('/api/')).toBe(0);
  });

  it('an allowed host on any port is served', async () => {
    expect((await one('GET /api/v1/echo HTTP/1.1\r\nHost: api.example:8080\r\n\r\n')).status).toBe(200);
    expect((await one('GET /api/v1/echo HTTP/1.1\r\nHost: API.Example\r\n\r\n')).status).toBe(200);
  });

  it('an absolute-form target is checked by its authority, whatever the Host header says', async () => {
    const res = await one('GET http://evil.example/api/v1/echo HTTP/1.1\r\nHost: api.example\r\n\r\n');
    expect(res.status).toBe(421);
    expect(app.log.count('/api/')).toBe(0);
  });

  it('an allowed absolute-form authority replaces a foreign Host header upstream (no Host spoofing behind the check)', async () => {
    const res = await one('GET http://api.example/api/v1/echo HTTP/1.1\r\nHost: evil.example\r\n\r\n');
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.body) as { headers: Record<string, string>; url: string };
    expect(seen.url).toBe('/api/v1/echo');
    expect(seen.headers.host).toBe('api.example');
    expect(seen.headers['x-forwarded-host']).toBe('api.example');
    expect(app.log.entries[0]?.headers.host).toBe('api.example');
  });

  it.each(['/health', '/api/v1/status/liveness', '/api/v1/status/readiness', '/api/v1/status/system'])(
    'the proxy status endpoint %s answers probes sent to the pod IP',
    async (path) => {
      await gw.proxy.checkUpstream();
      const res = await one(`GET ${path} HTTP/1.1\r\nHost: 10.1.2.3:8080\r\n\r\n`);
      expect(res.status).toBe(200);
      expect(app.log.count('/api/')).toBe(0);
    },
  );
});

const PRE = (origin: string, method = 'POST', headers = 'content-type, authorization') =>
  `OPTIONS /api/v1/echo HTTP/1.1\r\nHost: api.example\r\nOrigin: ${origin}\r\nAccess-Control-Request-Method: ${method}\r\nAccess-Control-Request-Headers: ${headers}\r\n\r\n`;

describe('CORS answered by the proxy', () => {
  it('a preflight from an allowed origin: 204 with the allow headers, never forwarded', async () => {
    const res = await one(PRE('https://app.example'));
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers['access-control-allow-methods']).toBe('GET, POST');
    expect(res.headers['access-control-allow-headers']).toBe('authorization, content-type, x-request-id');
    expect(res.headers['access-control-max-age']).toBe('600');
    expect(res.headers.vary).toMatch(/Origin/);
    expect(res.headers['x-request-id']).toBeTruthy();
    expect(app.log.count('/api/')).toBe(0);
  });

  it('a preflight from another origin: 204 with no allow headers (the browser refuses), never forwarded', async () => {
    const res = await one(PRE('https://evil.example'));
    expect(res.status).toBe(204);
    for (const h of Object.keys(res.headers)) expect(h.startsWith('access-control-')).toBe(false);
    expect(app.log.count('/api/')).toBe(0);
  });

  it('preflights are answered before the rate limit and never spend its budget', async () => {
    for (let i = 0; i < 3; i++) expect((await one(PRE('https://app.example'))).status).toBe(204);
    const post = (id: string) => `POST /api/v1/echo HTTP/1.1\r\nHost: api.example\r\nOrigin: https://app.example\r\nX-Request-ID: ${id}\r\nContent-Length: 0\r\n\r\n`;
    const first = await one(post('cors-1'));
    expect(first.status).toBe(200);
    expect(first.headers['access-control-allow-origin']).toBe('https://app.example');
    const second = await one(post('cors-2'));
    expect(second.status).toBe(429);
    // The proxy's own errors carry CORS too, so a browser script can read the 429.
    expect(second.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(app.log.count('/api/')).toBe(1);
  });

  it('an actual request from an allowed origin gets the origin itself, credentials, expose headers and Vary: Origin', async () => {
    const res = await one('GET /api/v1/echo?header=Vary:Accept HTTP/1.1\r\nHost: api.example\r\nOrigin: https://app.example\r\n\r\n');
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers['access-control-expose-headers']).toBe('x-request-id, x-ratelimit-remaining');
    expect(res.headers.vary).toBe('Accept, Origin');
  });

  it('a disallowed origin gets no Access-Control-Allow-Origin, even when the app sends "*"', async () => {
    const res = await one(
      'GET /api/v1/echo?header=Access-Control-Allow-Origin:*&header=Access-Control-Allow-Credentials:true HTTP/1.1\r\nHost: api.example\r\nOrigin: https://evil.example\r\n\r\n',
    );
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    expect(res.headers.vary).toBe('Origin');
    expect(app.log.count('/api/')).toBe(1);
  });

  it('the app cannot widen the policy for an allowed origin either', async () => {
    const res = await one('GET /api/v1/echo?header=Access-Control-Allow-Origin:* HTTP/1.1\r\nHost: api.example\r\nOrigin: https://app.example\r\n\r\n');
    expect(res.headerLines.filter((l) => /^access-control-allow-origin:/i.test(l))).toEqual(['access-control-allow-origin: https://app.example']);
  });

  it('OPTIONS without Access-Control-Request-Method is an ordinary request (forwarded)', async () => {
    const res = await one('OPTIONS /api/v1/echo HTTP/1.1\r\nHost: api.example\r\nOrigin: https://app.example\r\n\r\n');
    expect(res.status).toBe(200);
    expect(app.log.count('/api/')).toBe(1);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example');
  });

  it('a request without Origin still says Vary: Origin, for caches downstream', async () => {
    const res = await one('GET /api/v1/echo HTTP/1.1\r\nHost: api.example\r\n\r\n');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers.vary).toBe('Origin');
  });

  it('the Host check runs before CORS: a preflight for another Host is a 421', async () => {
    const res = await one(PRE('https://app.example').replace('Host: api.example', 'Host: evil.example'));
    expect(res.status).toBe(421);
  });
});
