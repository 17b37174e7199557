import { describe, it, expect, afterEach } from 'vitest';
import { startApp, type AppHandle } from '../../app/server.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { startRedisServer, type RedisServer } from '../store/redis-server.js';
import { burst, count, metric, send, system, until } from './integration.js';

let app: AppHandle | undefined;
let gw: TestProxy | undefined;
let redis: RedisServer | undefined;
afterEach(async () => {
  redis?.resume();
  await gw?.close();
  await app?.close();
  await redis?.stop();
  gw = app = redis = undefined;
});

const policy = (url: string) => `
store:
  kind: redis
  url: ${url}
  timeout: 100ms
  on_error: local
rate_limits:
  per-ip:
    key: ip
    limits: [30/1h]
routes:
  - match: { path: /** }
    rate_limit: per-ip
`;

async function setup() {
  redis = await startRedisServer();
  app = await startApp({ port: 0 });
  gw = await startTestProxy(app.url, policy(redis.url));
  const url = `${gw.url}/api/v1/candidates`;
  await until(async () => (await system(gw!.adminUrl)).health.components.store === 'operational');
  return { url, adminUrl: gw.adminUrl };
}

const storeHealth = async (adminUrl: string) => (await system(adminUrl)).health.components.store;

describe('Redis failing under load', () => {
  it('killed: no 5xx, limiting continues per replica, health degraded, all recovers when Redis returns', async () => {
    const { url, adminUrl } = await setup();
    const before = await burst(10, 5, () => send(url));
    expect(count(before, 200)).toBe(10);

    await redis!.kill();
    const during = await burst(60, 10, () => send(url));
    expect(during.filter((a) => a.status >= 500)).toEqual([]);
    expect(count(during, 200)).toBe(30); // the local fallback limits with the same policy
    expect(count(during, 429)).toBe(30);
    expect(await storeHealth(adminUrl)).toBe('degraded');

    await redis!.restart(); // an empty Redis: a fresh shared budget
    await until(async () => (await storeHealth(adminUrl)) === 'operational', 25_000);
    const after = await send(url);
    expect(after.status).toBe(200); // the exhausted local table is no longer used
    expect(after.headers['x-ratelimit-remaining']).toBe('29');
  }, 45_000);

  it('paused (SIGSTOP): no 5xx, the breaker opens, limiting continues, recovers on SIGCONT', async () => {
    const { url, adminUrl } = await setup();
    expect(count(await burst(5, 5, () => send(url)), 200)).toBe(5);

    redis!.pause();
    const during = await burst(40, 10, () => send(url));
    expect(during.filter((a) => a.status >= 500)).toEqual([]);
    expect(count(during, 200)).toBe(30);
    expect(count(during, 429)).toBe(10);
    expect(await storeHealth(adminUrl)).toBe('degraded');
    expect(await metric(adminUrl, 'store_errors_total{store="redis"}')).toBeGreaterThanOrEqual(3);

    redis!.resume();
    // The guard probes again within its back-off (at most 5 s); allow for a busy machine.
    await until(async () => (await storeHealth(adminUrl)) === 'operational', 25_000);
    expect((await send(url)).status).toBe(200); // counted in Redis again (locally this key is exhausted)
  }, 45_000);
});
