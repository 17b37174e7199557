import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { request } from 'undici';
import { createHash, randomBytes } from 'node:crypto';
import { startApp, type AppHandle } from '../../app/server.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { rawRequest } from '../helpers/raw.js';

let app: AppHandle;
let gw: TestProxy;

beforeAll(async () => {
  app = await startApp({ port: 0 });
  gw = await startTestProxy(app.url, 'routes:\n  - match: { path: /** }\n', { server: 'max_body_bytes: 64mb' });
});
afterAll(async () => {
  await gw?.close();
  await app?.close();
});

describe('forwarding to the app', () => {
  it('returns the app JSON with request id and timing headers', async () => {
    const created = await request(`${gw.url}/api/v1/candidates`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Ada Lovelace', email: 'ada@example.com' }),
    });
    expect(created.statusCode).toBe(201);
    const body = (await created.body.json()) as { id: string };
    expect(body.id).toBeTruthy();
    const h = created.headers;
    expect(h['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(h['x-process-time']).toMatch(/^\d+\.\d{4}$/);
    expect(h['server-timing']).toMatch(/^proxy;dur=\d+\.\d{3}, upstream;dur=\d+\.\d{3}$/);

    const got = await request(`${gw.url}/api/v1/candidates/${body.id}`);
    expect(got.statusCode).toBe(200);
    expect(((await got.body.json()) as { id: string }).id).toBe(body.id);
  });

  it('sends X-Forwarded-*, the request id and traceparent upstream, and drops hop-by-hop headers', async () => {
    const r = await rawRequest(gw.url, '/api/v1/echo?x=1', {
      headers: {
        'x-request-id': 'client-id-123',
        connection: 'keep-alive, x-secret-hop',
        'x-secret-hop': 'must not pass',
        'keep-alive': 'timeout=5',
        'x-forwarded-for': '6.6.6.6',
        'proxy-authorization': 'Basic abc',
        'x-end-to-end': 'kept',
      },
    });
    expect(r.status).toBe(200);
    expect(r.headers['x-request-id']).toBe('client-id-123');
    const seen = JSON.parse(r.body) as { headers: Record<string, string>; url: string };
    expect(seen.url).toBe('/api/v1/echo?x=1');
    expect(seen.headers['x-request-id']).toBe('client-id-123');
    expect(seen.headers['x-end-to-end']).toBe('kept');
    expect(seen.headers['x-secret-hop']).toBeUndefined();
    expect(seen.headers['keep-alive']).toBeUndefined();
    expect(seen.headers['proxy-authorization']).toBeUndefined();
    // The peer (127.0.0.1) is not a trusted proxy: its X-Forwarded-For is replaced, not extended.
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-forwarded-host']).toBe(new URL(gw.url).host);
    expect(seen.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('replaces an invalid request id and keeps a valid traceparent', async () => {
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const r = await request(`${gw.url}/api/v1/echo`, { headers: { 'x-request-id': 'bad id with spaces', traceparent: tp } });
    const id = r.headers['x-request-id'] as string;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const seen = (await r.body.json()) as { headers: Record<string, string> };
    expect(seen.headers['x-request-id']).toBe(id);
    expect(seen.headers.traceparent).toBe(tp);
  });

  it('creates a traceparent whose trace id is the generated request id, when the client sent none', async () => {
    const r = await request(`${gw.url}/api/v1/echo`, { headers: { traceparent: '00-not-a-valid-one' } });
    const id = r.headers['x-request-id'] as string;
    const seen = (await r.body.json()) as { headers: Record<string, string> };
    const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(seen.headers.traceparent ?? '');
    expect(m?.[1]).toBe(id.replace(/-/g, ''));
    expect(m?.[2]).not.toBe('0'.repeat(16));
  });

  it('strips hop-by-hop headers from the response', async () => {
    const r = await request(`${gw.url}/api/v1/echo?header=X-Hop:1&header=Connection:X-Hop&header=X-Kept:2`);
    await r.body.dump();
    expect(r.headers['x-kept']).toBe('2');
    expect(r.headers['x-hop']).toBeUndefined();
  });

  it('streams a 20 MB upload to the app intact', async () => {
    const data = randomBytes(20 * 1024 * 1024);
    const r = await request(`${gw.url}/api/v1/files/upload`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: data,
    });
    expect(r.statusCode).toBe(200);
    const got = (await r.body.json()) as { bytes: number; sha256: string };
    expect(got.bytes).toBe(data.length);
    expect(got.sha256).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('streams a large download to the client intact', async () => {
    const r = await request(`${gw.url}/api/v1/echo?bytes=${8 * 1024 * 1024}`);
    const buf = Buffer.from(await r.body.arrayBuffer());
    expect(buf.length).toBe(8 * 1024 * 1024);
  });

  it('handles Expect: 100-continue', async () => {
    const r = await rawRequest(gw.url, '/api/v1/tags/generate', {
      method: 'POST',
      headers: { 'content-type': 'application/json', expect: '100-continue' },
      body: JSON.stringify({ text: 'graph algorithms and dynamic programming with graphs' }),
    });
    expect(r.status).toBeLessThan(300);
    expect((JSON.parse(r.body) as { tags: string[] }).tags.length).toBeGreaterThan(0);
  });

  it('normalises the path before routing and forwarding', async () => {
    const r = await rawRequest(gw.url, '/api/v1//x/../echo/');
    const seen = JSON.parse(r.body) as { path: string };
    expect(seen.path).toBe('/api/v1/echo');
  });

  it('rejects a path that climbs above the root with problem+json 400, forwarding nothing', async () => {
    app.log.clear();
    const r = await rawRequest(gw.url, '/api/%2e%2e/%2e%2e/etc/passwd');
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toBe('application/problem+json');
    const p = JSON.parse(r.body) as Record<string, unknown>;
    expect(p).toMatchObject({ status: 400, code: 'bad_request' });
    expect(p.request_id).toBe(r.headers['x-request-id']);
    expect(app.log.count()).toBe(0);
  });
});
