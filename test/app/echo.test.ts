import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

describe('/api/v1/echo', () => {
  it('answers with the method, url and headers it received, for any method', async () => {
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      const res = await h.call(method, '/api/v1/echo?a=1&b=two', {
        headers: { 'x-request-id': 'abc', 'x-forwarded-for': '10.0.0.1' },
        ...(method === 'GET' || method === 'DELETE' ? {} : { body: 'hello' }),
      });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({
        method,
        url: '/api/v1/echo?a=1&b=two',
        path: '/api/v1/echo',
        query: { a: '1', b: 'two' },
        body_bytes: method === 'GET' || method === 'DELETE' ? 0 : 5,
        http_version: '1.1',
      });
      expect(res.json.headers).toMatchObject({ 'x-request-id': 'abc', 'x-forwarded-for': '10.0.0.1', host: `127.0.0.1:${h.app.port}` });
      expect(res.headers['cache-control']).toBeUndefined();
      expect(res.headers['set-cookie']).toBeUndefined();
    }
  });

  it('sets status, Cache-Control, Set-Cookie and other headers on request', async () => {
    const res = await h.call('GET', '/api/v1/echo?status=404&cache_control=public,%20max-age%3D60&set_cookie=1&header=Vary:Accept&header=X-Extra:%20yes');
    expect(res.status).toBe(404);
    expect(res.headers['cache-control']).toBe('public, max-age=60');
    expect(res.headers['set-cookie']).toMatch(/^echo_session=/);
    expect(res.headers.vary).toBe('Accept');
    expect(res.headers['x-extra']).toBe('yes');
    expect(res.json.method).toBe('GET');
  });

  it('answers a body of N bytes', async () => {
    const res = await h.call('GET', '/api/v1/echo?bytes=5000000');
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['content-length']).toBe('5000000');
    expect(res.text.length).toBe(5_000_000);
    expect((await h.call('GET', '/api/v1/echo?bytes=0')).text).toBe('');
  });

  it('waits delay_ms before answering', async () => {
    const started = Date.now();
    const res = await h.call('GET', '/api/v1/echo?delay_ms=150');
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(145);
  });

  it.each(['status=99', 'status=abc', 'bytes=-1', 'delay_ms=1.5', 'header=novalue', 'header=bad%20name:x'])(
    'answers 400 for %s',
    async (query) => {
      const res = await h.call('GET', `/api/v1/echo?${query}`);
      expect(res.status).toBe(400);
      expect(res.json.error).toBe('validation_error');
    },
  );
});
