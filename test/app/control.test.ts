import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

describe('/__control/fault', () => {
  it('reads the defaults and merges a partial update', async () => {
    const first = await h.call('GET', '/__control/fault');
    expect(first.json).toEqual({ mode: 'none', delay_ms: 1000, status: 503, rate: 1, paths: '' });
    const put = await h.call('PUT', '/__control/fault', { body: { mode: 'slow', delay_ms: 50, paths: '/api' } });
    expect(put.status).toBe(200);
    expect(put.json).toEqual({ mode: 'slow', delay_ms: 50, status: 503, rate: 1, paths: '/api' });
    expect(h.app.faults.get()).toEqual({ mode: 'slow', delayMs: 50, status: 503, rate: 1, paths: '/api' });
    const again = await h.call('PUT', '/__control/fault', { body: { rate: 0.5 } });
    expect(again.json).toMatchObject({ mode: 'slow', delay_ms: 50, rate: 0.5 });
  });

  it.each([
    [{ mode: 'explode' }, 'mode'],
    [{ mode: 3 }, 'mode'],
    [{ delay_ms: -5 }, 'delay_ms'],
    [{ delay_ms: '5' }, 'delay_ms'],
    [{ status: 1000 }, 'status'],
    [{ rate: 1.5 }, 'rate'],
    [{ paths: ['/api'] }, 'paths'],
    [{ duration_ms: 0 }, 'duration_ms'],
    [{ delayMs: 5 }, 'delayMs'],
  ])('answers 400 for %j naming %s, and keeps the config', async (body, field) => {
    const res = await h.call('PUT', '/__control/fault', { body });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: 'validation_error', field });
    expect(h.app.faults.get().mode).toBe('none');
  });

  it('answers 400 for unparsable JSON', async () => {
    const res = await h.call('PUT', '/__control/fault', { body: '{mode:' });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('invalid_json');
  });
});

describe('/__control/requests', () => {
  it('lists the request log, filtered by path prefix, and clears it', async () => {
    await h.call('GET', '/health');
    await h.call('POST', '/api/v1/echo?x=1', { body: 'abc', headers: { 'x-test': 'yes' } });
    const all = await h.call('GET', '/__control/requests');
    expect(all.json.count).toBe(2);
    expect(all.json.entries).toHaveLength(2);
    expect(all.json.entries[1]).toMatchObject({ method: 'POST', url: '/api/v1/echo?x=1', bodyBytes: 3, status: 200 });
    expect(all.json.entries[1].headers['x-test']).toBe('yes');
    const echo = await h.call('GET', '/__control/requests?path=/api/v1/echo');
    expect(echo.json.count).toBe(1);
    expect(echo.json.entries).toHaveLength(1);
    expect((await h.call('DELETE', '/__control/requests')).status).toBe(204);
    expect(h.app.log.count()).toBe(0);
  });
});

describe('/__control/reset', () => {
  it('clears faults, the request log and stored data', async () => {
    const created = await h.call('POST', '/api/v1/candidates', { body: { name: 'Ada' } });
    await h.call('PUT', '/__control/fault', { body: { mode: 'fail', paths: '/api/v1/echo' } });
    expect((await h.call('GET', '/api/v1/echo')).status).toBe(503);

    const res = await h.call('POST', '/__control/reset');
    expect(res.status).toBe(204);
    expect(h.app.faults.get()).toEqual({ mode: 'none', delayMs: 1000, status: 503, rate: 1, paths: '' });
    expect(h.app.log.count()).toBe(0);
    expect((await h.call('GET', created.headers.location as string)).status).toBe(404);
    expect((await h.call('GET', '/api/v1/echo')).status).toBe(200);
  });
});
