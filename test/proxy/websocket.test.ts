import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { WebSocket } from 'undici';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { startWsEcho } from '../helpers/ws-echo.js';

let upstream: Awaited<ReturnType<typeof startWsEcho>>;
let gw: TestProxy;

beforeAll(async () => {
  upstream = await startWsEcho();
  gw = await startTestProxy(upstream.url);
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe('WebSocket pass-through', () => {
  it('an upgraded connection echoes messages through the proxy', async () => {
    const ws = new WebSocket(gw.url.replace('http', 'ws') + '/ws/echo');
    const opened = new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve());
      ws.addEventListener('error', () => reject(new Error('websocket error')));
    });
    await opened;
    const replies: string[] = [];
    const got = new Promise<void>((resolve) => {
      ws.addEventListener('message', (e) => {
        replies.push(String(e.data));
        if (replies.length === 2) resolve();
      });
    });
    ws.send('hello');
    ws.send('x'.repeat(1000));
    await got;
    expect(replies).toEqual(['hello', 'x'.repeat(1000)]);
    ws.close();
    const last = upstream.seen.at(-1)!;
    expect(last['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(last['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('an upstream refusal is not turned into a success', async () => {
    const ws = new WebSocket(gw.url.replace('http', 'ws') + '/ws/forbidden');
    const outcome = await new Promise<string>((resolve) => {
      ws.addEventListener('open', () => resolve('open'));
      ws.addEventListener('error', () => resolve('error'));
    });
    expect(outcome).toBe('error');
  });
});

describe('WebSocket upgrades go through the route policies', () => {
  it('a rate-limited route refuses an upgrade past its limit with 429 problem+json', async () => {
    const limited = await startTestProxy(upstream.url, `rate_limits:
  one: { key: ip, limits: [1/1m] }
routes:
  - match: { path: /ws/** }
    rate_limit: one
`);
    try {
      const first = new WebSocket(limited.url.replace('http', 'ws') + '/ws/echo');
      expect(await outcome(first)).toBe('open');
      first.close();
      const { rawRequest } = await import('../helpers/raw.js');
      const r = await rawRequest(limited.url, '/ws/echo', {
        headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
      });
      expect(r.status).toBe(429);
      expect(JSON.parse(r.body)).toMatchObject({ code: 'rate_limited', status: 429 });
      expect(r.headers['retry-after']).toBeDefined();
    } finally {
      await limited.close();
    }
  });
});

function outcome(ws: WebSocket): Promise<string> {
  return new Promise((resolve) => {
    ws.addEventListener('open', () => resolve('open'));
    ws.addEventListener('error', () => resolve('error'));
  });
}
