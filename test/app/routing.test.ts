import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

describe('health and routing', () => {
  it('answers /health with 200 healthy', async () => {
    const res = await h.call('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'healthy' });
    expect((await h.call('HEAD', '/health')).status).toBe(200);
  });

  it.each(['/', '/nope', '/api/v1/assessments/', '/api/v1/assessments/a/b', '/healthz'])('answers 404 JSON for %s', async (path) => {
    const res = await h.call('GET', path);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json.error).toBe('not_found');
  });

  it.each([
    ['POST', '/health', 'GET, HEAD'],
    ['GET', '/api/v1/files/upload', 'POST'],
    ['GET', '/api/v1/tags/generate', 'POST'],
    ['GET', '/__control/reset', 'POST'],
  ])('answers %s %s with 405 and Allow', async (method, path, allow) => {
    const res = await h.call(method, path);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe(allow);
  });

  it('decodes path parameters', async () => {
    const res = await h.call('GET', '/api/v1/candidates/a%20b');
    expect(res.json.message).toBe('no candidate with id a b');
  });

  it('sends no hardening headers of its own', async () => {
    const res = await h.call('GET', '/health');
    expect(Object.keys(res.headers).filter((k) => /request-id|ratelimit|process-time|server-timing/i.test(k))).toEqual([]);
  });
});
