import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { request } from 'undici';
import { startApp, type AppHandle } from '../../app/server.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';

let app: AppHandle;
let gw: TestProxy;

beforeAll(async () => {
  app = await startApp({ port: 0 });
  gw = await startTestProxy(app.url, `rate_limits:
  per-ip: { key: ip, limits: [60/1m, 1000/1h] }
routes:
  - match: { path: /** }
    rate_limit: per-ip
`);
});
afterAll(async () => {
  await gw?.close();
  await app?.close();
});

async function json(url: string, init?: Parameters<typeof request>[1]) {
  const r = await request(url, init);
  return { status: r.statusCode, headers: r.headers, body: (await r.body.json()) as Record<string, any> };
}

describe('endpoints the proxy answers itself', () => {
  it('GET /health is answered by the proxy, never forwarded', async () => {
    app.log.clear();
    const r = await json(`${gw.url}/health`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'healthy' });
    expect(r.headers['x-request-id']).toBeDefined();
    expect(app.log.count('/health')).toBe(0);
  });

  it('liveness, readiness and the system document', async () => {
    expect((await json(`${gw.url}/api/v1/status/liveness`)).status).toBe(200);
    expect((await json(`${gw.url}/api/v1/status/readiness`)).status).toBe(200);
    const sys = await json(`${gw.url}/api/v1/status/system`);
    expect(sys.status).toBe(200);
    expect(sys.body).toMatchObject({
      version: '0.1.0',
      health: { status: 'healthy', components: { upstream: 'operational', store: 'operational', circuit_breakers: 'operational', config: 'operational' } },
      configuration: { file: gw.file, last_reload_error: null, rate_limit_per_minute: 60, rate_limit_per_hour: 1000 },
    });
    expect(Date.parse(sys.body.timestamp)).not.toBeNaN();
    expect(Date.parse(sys.body.configuration.loaded_at)).not.toBeNaN();
  });

  it('readiness and health turn 503 when the app fails its health check', async () => {
    await app.faults.set({ mode: 'fail', status: 500, paths: '/health' });
    try {
      await gw.proxy.checkUpstream();
      const ready = await json(`${gw.url}/api/v1/status/readiness`);
      expect(ready.status).toBe(503);
      expect(ready.body.reasons).toContain('upstream health check failing');
      const sys = await json(`${gw.url}/api/v1/status/system`);
      expect(sys.body.health.components.upstream).toBe('down');
    } finally {
      await app.faults.reset();
      await gw.proxy.checkUpstream();
    }
    expect((await json(`${gw.url}/api/v1/status/readiness`)).status).toBe(200);
  });

  it('the admin listener serves /metrics with route labels from the pattern', async () => {
    await request(`${gw.url}/api/v1/candidates/nope`).then((r) => r.body.dump());
    const r = await request(`${gw.adminUrl}/metrics`);
    expect(r.statusCode).toBe(200);
    const text = await r.body.text();
    expect(text).toMatch(/http_requests_total\{route="\/\*\*",method="GET",status="404"\} \d+/);
    expect(text).toContain('http_request_duration_seconds_bucket');
    expect(text).toContain('upstream_request_duration_seconds_bucket{le="0.005",route="/**"}');
    // Present at 0 from the start, so alert rules' increase() sees the first event.
    expect(text).toContain('config_reloads_total{result="failure"} 0');
    expect(text).toContain('http_requests_limited_total{policy="per-ip",route="/**"} 0');
    expect(text).toContain('sono_guard_component_up{component="upstream"} 1');
    expect(text).toContain('sono_guard_component_up{component="store"} 1');
    for (const name of ['circuit_breaker_state', 'cache_hits_total', 'config_reloads_total', 'store_errors_total', 'http_requests_limited_total']) {
      expect(text).toContain(`# TYPE ${name}`);
    }
  });

  it('the admin listener serves the status paths too; the main listener does not serve /metrics', async () => {
    expect((await json(`${gw.adminUrl}/api/v1/status/system`)).status).toBe(200);
    app.log.clear();
    const r = await request(`${gw.url}/metrics`);
    await r.body.dump();
    expect(app.log.count('/metrics')).toBe(1); // forwarded to the app like any other path
  });
});
