import { describe, it, expect } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { startApp, type AppHandle } from '../../app/server.js';
import { closeAfterEach, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { until } from '../helpers/wait.js';

let app: AppHandle;
let gw: TestProxy;
const track = closeAfterEach();

describe('upstream failures become problem+json', () => {
  it('connection refused → 502 upstream_unavailable with timing headers and an error log line', async () => {
    app = track(await startApp({ port: 0 }));
    gw = track(await startTestProxy(app.url, 'routes:\n  - match: { path: /api/** }\n'));
    await app.faults.set({ mode: 'refuse' });
    const r = await request(`${gw.url}/api/v1/candidates`);
    expect(r.statusCode).toBe(502);
    expect(r.headers['content-type']).toBe('application/problem+json');
    expect(r.headers['x-process-time']).toBeDefined();
    expect(r.headers['server-timing']).toMatch(/^proxy;dur=/);
    const p = (await r.body.json()) as Record<string, unknown>;
    expect(p).toMatchObject({ status: 502, code: 'upstream_unavailable', title: 'Upstream Unavailable' });
    expect(p.request_id).toBe(r.headers['x-request-id']);
    expect(Object.keys(p).sort()).toEqual(['code', 'detail', 'request_id', 'status', 'title', 'type']);
    await until(() => gw!.logs.some((l) => l.request_id === p.request_id));
    const line = gw.logs.find((l) => l.request_id === p.request_id)!;
    expect(line).toMatchObject({ level: 'error', status_code: 502, route: '/api/**', method: 'GET', path: '/api/v1/candidates' });
  });

  it('no response headers within the route timeout → 504 upstream_timeout', async () => {
    app = track(await startApp({ port: 0 }));
    gw = track(await startTestProxy(app.url, 'routes:\n  - match: { path: /api/** }\n    timeout: 300ms\n'));
    await app.faults.set({ mode: 'hang' });
    const t0 = performance.now();
    const r = await request(`${gw.url}/api/v1/candidates`);
    const ms = performance.now() - t0;
    expect(r.statusCode).toBe(504);
    expect(((await r.body.json()) as { code: string }).code).toBe('upstream_timeout');
    // On time, not on undici's 1 s timer wheel (which answered after 0.5–1.5 s).
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(700);
  });

  it('an upstream that resets the connection → 502', async () => {
    app = track(await startApp({ port: 0 }));
    gw = track(await startTestProxy(app.url, 'routes:\n  - match: { path: /api/** }\n'));
    await app.faults.set({ mode: 'reset' });
    const r = await request(`${gw.url}/api/v1/candidates`);
    expect(r.statusCode).toBe(502);
    await r.body.dump();
  });

  it('a client that disconnects aborts the upstream request', async () => {
    let sawClose!: () => void;
    const closed = new Promise<void>((resolve) => (sawClose = resolve));
    let arrived!: () => void;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    const hanging = http.createServer((req, res) => {
      if (req.url !== '/slow') return void res.end('ok'); // the health probe
      arrived();
      req.socket.on('close', () => sawClose());
    });
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
    try {
      gw = track(await startTestProxy(`http://127.0.0.1:${(hanging.address() as AddressInfo).port}`));
      const ac = new AbortController();
      const pending = request(`${gw.url}/slow`, { signal: ac.signal }).catch(() => 'aborted');
      await arrival;
      ac.abort();
      expect(await pending).toBe('aborted');
      await closed; // resolves only if the proxy closed its upstream connection
    } finally {
      hanging.closeAllConnections();
      hanging.close();
    }
  });
});

