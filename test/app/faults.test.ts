import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

/** Opens a bare TCP connection: 'connected' or the error code. */
function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
}

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } };
  return e.code === 'UND_ERR_SOCKET' || e.code === undefined ? (e.cause?.code ?? e.code) : e.code;
}

let h: Harness;
afterEach(async () => {
  await h.close();
});

describe('fault switch', () => {
  it('slow: answers normally after delayMs', async () => {
    h = await startHarness({ faults: { mode: 'slow', delayMs: 200 } });
    const started = Date.now();
    const res = await h.call('GET', '/api/v1/echo');
    expect(Date.now() - started).toBeGreaterThanOrEqual(195);
    expect(res.status).toBe(200);
    expect(res.json.method).toBe('GET');
  });

  it('fail: answers the configured status with a JSON error, and health 503 unhealthy', async () => {
    h = await startHarness();
    await h.app.faults.set({ mode: 'fail' });
    const res = await h.call('POST', '/api/v1/assessments', { body: { candidate_id: 'c', answers: [] } });
    expect(res.status).toBe(503);
    expect(res.json.error).toBe('fault_injected');
    const health = await h.call('GET', '/health');
    expect(health.status).toBe(503);
    expect(health.json).toEqual({ status: 'unhealthy' });
    await h.app.faults.set({ status: 500 });
    expect((await h.call('GET', '/api/v1/echo')).status).toBe(500);
    await h.app.faults.set({ mode: 'none' });
    expect((await h.call('GET', '/health')).status).toBe(200);
  });

  it('hang: never answers, until the client gives up or the app closes', async () => {
    h = await startHarness({ faults: { mode: 'hang' } });
    await expect(h.call('GET', '/api/v1/echo', { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    expect(h.app.log.count('/api/v1/echo')).toBe(1);
    const pending = h.call('GET', '/api/v1/echo');
    await expect.poll(() => h.app.log.count()).toBe(2);
    await h.app.close();
    await expect(pending).rejects.toThrow();
  });

  it('reset: drops the connection without a response', async () => {
    h = await startHarness({ faults: { mode: 'reset' } });
    const err = await h.call('GET', '/api/v1/echo').then(() => undefined, (e: unknown) => e);
    expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain(errorCode(err));
    expect(h.app.log.count()).toBe(1);
  });

  it('refuse: closes the port, then listens again on the same port', async () => {
    h = await startHarness();
    const { port } = h.app;
    expect((await h.call('GET', '/health')).status).toBe(200); // leaves a keep-alive connection open
    await h.app.faults.set({ mode: 'refuse' });
    expect(await connectOutcome(port)).toBe('ECONNREFUSED');
    await expect(h.call('GET', '/health')).rejects.toThrow();
    expect(h.app.server.listening).toBe(false);

    await h.app.faults.set({ mode: 'none' });
    expect(await connectOutcome(port)).toBe('connected');
    expect((await h.call('GET', '/health')).status).toBe(200);
    expect(h.app.port).toBe(port);
    expect(h.app.log.count('/health')).toBe(2);
  });

  it('refuse: drops requests in flight, like a crashed process', async () => {
    h = await startHarness({ faults: { mode: 'hang' } });
    const pending = h.call('GET', '/api/v1/echo');
    await expect.poll(() => h.app.log.count()).toBe(1);
    await h.app.faults.set({ mode: 'refuse' });
    await expect(pending).rejects.toThrow();
  });

  it('refuse over HTTP: refuses for duration_ms, then comes back by itself', async () => {
    h = await startHarness();
    const res = await h.call('PUT', '/__control/fault', { body: { mode: 'refuse', duration_ms: 300 } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ mode: 'refuse', duration_ms: 300 });
    expect(await connectOutcome(h.app.port)).toBe('ECONNREFUSED');
    await expect.poll(() => connectOutcome(h.app.port), { timeout: 5000, interval: 50 }).toBe('connected');
    expect((await h.call('GET', '/__control/fault')).json.mode).toBe('none');
    expect((await h.call('GET', '/health')).status).toBe(200);
  });

  it('refuse over HTTP lasts 5 s by default', async () => {
    h = await startHarness();
    const res = await h.call('PUT', '/__control/fault', { body: { mode: 'refuse' } });
    expect(res.json.duration_ms).toBe(5000);
    expect(await connectOutcome(h.app.port)).toBe('ECONNREFUSED');
    await h.app.faults.set({ mode: 'none' }); // in-process, no need to wait
    expect(await connectOutcome(h.app.port)).toBe('connected');
  });

  it('can start refusing, with its port already chosen', async () => {
    h = await startHarness({ faults: { mode: 'refuse' } });
    expect(h.app.port).toBeGreaterThan(0);
    expect(await connectOutcome(h.app.port)).toBe('ECONNREFUSED');
    await h.app.faults.reset();
    expect((await h.call('GET', '/health')).status).toBe(200);
  });

  it('rate: affects exactly that fraction of requests, evenly spread', async () => {
    h = await startHarness({ faults: { mode: 'fail', rate: 0.5 } });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await h.call('GET', '/api/v1/echo')).status);
    expect(statuses).toEqual([200, 503, 200, 503, 200, 503, 200, 503, 200, 503]);
    await h.app.faults.set({ rate: 0.25 });
    const quarter: number[] = [];
    for (let i = 0; i < 8; i++) quarter.push((await h.call('GET', '/api/v1/echo')).status);
    expect(quarter.filter((s) => s === 503)).toHaveLength(2);
    await h.app.faults.set({ rate: 0 });
    expect((await h.call('GET', '/api/v1/echo')).status).toBe(200);
  });

  it('paths: affects only the listed prefixes', async () => {
    h = await startHarness({ faults: { mode: 'fail', paths: '/api/v1/assessments, /api/v1/tags' } });
    expect((await h.call('GET', '/api/v1/assessments')).status).toBe(503);
    expect((await h.call('GET', '/api/v1/assessments/x')).status).toBe(503);
    expect((await h.call('POST', '/api/v1/tags/generate', { body: { text: 'x' } })).status).toBe(503);
    expect((await h.call('GET', '/api/v1/echo')).status).toBe(200);
    expect((await h.call('GET', '/health')).status).toBe(200);
  });

  it('never affects /__control/*', async () => {
    h = await startHarness({ faults: { mode: 'hang' } });
    expect((await h.call('GET', '/__control/fault')).json.mode).toBe('hang');
    await h.app.faults.set({ mode: 'fail' });
    expect((await h.call('GET', '/__control/requests')).status).toBe(200);
    const res = await h.call('PUT', '/__control/fault', { body: { mode: 'none' } });
    expect(res.json.mode).toBe('none');
  });

  it('durationMs: returns to none after that long', async () => {
    h = await startHarness();
    await h.app.faults.set({ mode: 'fail' }, { durationMs: 100 });
    expect((await h.call('GET', '/health')).status).toBe(503);
    await expect.poll(async () => (await h.call('GET', '/health')).status, { timeout: 5000, interval: 25 }).toBe(200);
    expect(h.app.faults.get().mode).toBe('none');
  });

  it('rejects an invalid configuration and keeps the current one', async () => {
    h = await startHarness({ faults: { mode: 'slow', delayMs: 10 } });
    await expect(h.app.faults.set({ rate: 2 })).rejects.toThrow(RangeError);
    await expect(h.app.faults.set({ mode: 'explode' as 'none' })).rejects.toThrow(/mode must be one of/);
    await expect(h.app.faults.set({ status: 99 })).rejects.toThrow(RangeError);
    await expect(h.app.faults.set({ delayMs: -1 })).rejects.toThrow(RangeError);
    expect(h.app.faults.get()).toEqual({ mode: 'slow', delayMs: 10, status: 503, rate: 1, paths: '' });
  });
});
