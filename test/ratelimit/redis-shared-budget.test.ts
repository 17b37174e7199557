import { describe, it, expect, afterEach } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { startApp, type AppHandle } from '../../app/server.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { burst, count, send } from './integration.js';

let app: AppHandle | undefined;
const gws: TestProxy[] = [];
const prefix = `sono-guard-test:${randomUUID()}:`;

afterEach(async () => {
  await Promise.all(gws.splice(0).map((g) => g.close()));
  await app?.close();
  app = undefined;
  const r = new Redis('redis://127.0.0.1:6379');
  const keys = await r.keys(`${prefix}*`);
  if (keys.length > 0) await r.del(...keys);
  await r.quit();
});

const policy = (limit: string) => `
store:
  kind: redis
  url: redis://127.0.0.1:6379
  prefix: "${prefix}"
rate_limits:
  per-ip:
    key: ip
    limits: [${limit}]
routes:
  - match: { path: /** }
    rate_limit: per-ip
`;

describe('replicas sharing one Redis', () => {
  it('two proxies share one budget', async () => {
    app = await startApp({ port: 0 });
    const a = await startTestProxy(app.url, policy('10/1h'));
    const b = await startTestProxy(app.url, policy('10/1h'));
    gws.push(a, b);
    const seq = [];
    for (let i = 0; i < 14; i++) seq.push(await send(`${(i % 2 === 0 ? a : b).url}/api/v1/candidates`));
    expect(seq.map((x) => x.status === 429)).toEqual([...Array(10).fill(false), ...Array(4).fill(true)]);
    // remaining counts down across both replicas
    expect(seq.slice(0, 10).map((x) => x.headers['x-ratelimit-remaining'])).toEqual(['9', '8', '7', '6', '5', '4', '3', '2', '1', '0']);
  });

  it('concurrent requests through both proxies: exactly the limit passes', async () => {
    app = await startApp({ port: 0 });
    const a = await startTestProxy(app.url, policy('25/1h'));
    const b = await startTestProxy(app.url, policy('25/1h'));
    gws.push(a, b);
    const answers = await burst(100, 20, (i) => send(`${(i % 2 === 0 ? a : b).url}/api/v1/candidates`));
    expect(count(answers, 429)).toBe(75);
    expect(app.log.count('/api/v1/candidates')).toBe(25);
  });
});
