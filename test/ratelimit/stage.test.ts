import { describe, it, expect } from 'vitest';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { Exchange } from '../../src/pipeline/exchange.js';
import { rateLimit } from '../../src/pipeline/stages/rate-limit.js';
import type { Handler, Reply } from '../../src/pipeline/types.js';
import { Metrics } from '../../src/observability/metrics.js';
import { MemoryRateLimitStore } from '../../src/ratelimit/memory-store.js';
import type { RateLimiter } from '../../src/ratelimit/limiter.js';
import type { Decision, RateLimitStore } from '../../src/ratelimit/types.js';
import { limiter } from './helpers.js';

const ROUTE = '/api/v1/assessments/*';

function exchange(ip = '203.0.113.5', headers: Record<string, string> = {}): Exchange {
  const req = new IncomingMessage(new Socket());
  req.headers = headers;
  const x = new Exchange(req, new ServerResponse(req), process.hrtime.bigint());
  x.clientIp = ip;
  x.id = 'req-1';
  return x;
}

function setup(limiters: RateLimiter[], store: RateLimitStore = new MemoryRateLimitStore()) {
  const metrics = new Metrics({ defaultMetrics: false });
  let t = 1_700_000_000_000;
  const ok: Reply = { status: 200, headers: { 'content-type': 'text/plain' }, body: Buffer.from('ok') };
  let nextCalls = 0;
  const next: Handler = () => { nextCalls++; return Promise.resolve(ok); };
  const handler = rateLimit({ limiters, store, route: ROUTE, metrics, now: () => t })(next);
  const limitedCount = async (policy: string) =>
    (await metrics.limited.get()).values.find((v) => v.labels.policy === policy && v.labels.route === ROUTE)?.value ?? 0;
  return { handler, next, ok, metrics, limitedCount, calls: () => nextCalls, advance: (ms: number) => { t += ms; } };
}

const rlHeaders = (reply: Reply) => {
  const h = reply.headers;
  return {
    limit: h['x-ratelimit-limit'], remaining: h['x-ratelimit-remaining'], reset: h['x-ratelimit-reset'],
    policy: h['ratelimit-policy'], ratelimit: h['ratelimit'],
  };
};

describe('rate-limit stage', () => {
  it('lets an allowed request through untouched, with the rate-limit fields on the response', async () => {
    const s = setup([limiter('per-ip', ['60/1m', '1000/1h'])]);
    const x = exchange();
    const reply = await s.handler(x);
    expect(reply.status).toBe(200);
    expect(reply.body).toBe(s.ok.body);
    expect(reply.headers).toEqual({
      'content-type': 'text/plain',
      'x-ratelimit-limit': 60, 'x-ratelimit-remaining': 59, 'x-ratelimit-reset': 1,
      'ratelimit-policy': '"per-ip";q=60;w=60, "per-ip-1h";q=1000;w=3600',
      ratelimit: '"per-ip";r=59;t=1',
    });
    expect(s.ok.headers).toEqual({ 'content-type': 'text/plain' }); // the original (maybe cached) headers are not touched
    expect(x.limitedBy).toBeNull();
  });

  it('does not await a synchronous store: next runs within the call', () => {
    const s = setup([limiter('per-ip', ['60/1m'])]);
    void s.handler(exchange());
    expect(s.calls()).toBe(1);
  });

  it('rejects over the limit with 429 problem+json, Retry-After and the same fields; the app is not called', async () => {
    const l = limiter('per-ip', ['3/1m']);
    const s = setup([l]);
    for (let i = 0; i < 3; i++) await s.handler(exchange());
    const x = exchange();
    const reply = await s.handler(x);
    expect(s.calls()).toBe(3);
    expect(reply.status).toBe(429);
    expect(reply.headers).toMatchObject({
      'content-type': 'application/problem+json',
      'retry-after': 60,
      'x-ratelimit-limit': 3, 'x-ratelimit-remaining': 0, 'x-ratelimit-reset': 60,
      'ratelimit-policy': '"per-ip";q=3;w=60',
      ratelimit: '"per-ip";r=0;t=60',
    });
    const body = JSON.parse((reply.body as Buffer).toString());
    expect(body).toMatchObject({ status: 429, code: 'rate_limited', request_id: 'req-1' });
    expect(body.detail).toContain('"per-ip"');
    expect(x.limitedBy).toBe('per-ip');
    expect(await s.limitedCount('per-ip')).toBe(1);
    expect(l.snapshot().limited_total).toBe(1);
  });

  it.each([
    // [limits, requests before, ms later, expected Retry-After]
    [['1/1s'], 1, 0, 1],
    [['1/1s'], 1, 999, 1], // 1 ms of debt left: still a whole second, never 0
    [['2/1m'], 2, 29_000, 31], // at 30 s one request's worth is back
    [['100/1m', '5/1h'], 5, 0, 3600],
    [['50/1s', '10/1m'], 10, 5_000, 55], // the minute window rejects: Retry-After covers it
  ])('Retry-After for %j after %i requests, %i ms later: %i s, never before the reset', async (limits, before, later, expected) => {
    const s = setup([limiter('p', limits)]);
    for (let i = 0; i < before; i++) s.advance(0), await s.handler(exchange());
    s.advance(later);
    const reply = await s.handler(exchange());
    expect(reply.status).toBe(429);
    const retry = Number(reply.headers['retry-after']);
    expect(retry).toBe(expected);
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeGreaterThanOrEqual(reply.headers['x-ratelimit-reset'] as number);
  });

  it('lists every enforced policy; X-RateLimit-* shows the tightest window of all', async () => {
    const ip = limiter('per-ip', ['60/1m']);
    const key = limiter('per-api-key', ['20/1s'], { key: { kind: 'header', name: 'x-api-key' } });
    const s = setup([ip, key]);
    for (let i = 0; i < 15; i++) await s.handler(exchange('203.0.113.5', { 'x-api-key': 'k1' }));
    const reply = await s.handler(exchange('203.0.113.5', { 'x-api-key': 'k1' }));
    expect(rlHeaders(reply)).toEqual({
      limit: 20, remaining: 4, reset: 1,
      policy: '"per-ip";q=60;w=60, "per-api-key";q=20;w=1',
      ratelimit: '"per-ip";r=44;t=16, "per-api-key";r=4;t=1',
    });
  });

  it('keys: header value (falling back to the IP), route, ip+route', async () => {
    const byKey = limiter('k', ['1/1h'], { key: { kind: 'header', name: 'x-api-key' } });
    const s = setup([byKey]);
    expect((await s.handler(exchange('1.1.1.1', { 'x-api-key': 'a' }))).status).toBe(200);
    expect((await s.handler(exchange('2.2.2.2', { 'x-api-key': 'a' }))).status).toBe(429); // same key, other IP
    expect((await s.handler(exchange('2.2.2.2', { 'x-api-key': 'b' }))).status).toBe(200);
    expect((await s.handler(exchange('3.3.3.3'))).status).toBe(200); // no header: per IP
    expect((await s.handler(exchange('3.3.3.3'))).status).toBe(429);
    const long = 'z'.repeat(5000);
    expect((await s.handler(exchange('4.4.4.4', { 'x-api-key': long }))).status).toBe(200);
    expect((await s.handler(exchange('5.5.5.5', { 'x-api-key': long }))).status).toBe(429);
    expect(byKey.table.size).toBe(4); // a, b, 3.3.3.3, and the hash of the long value

    const route = setup([limiter('r', ['1/1h'], { key: { kind: 'route' } })]);
    expect((await route.handler(exchange('1.1.1.1'))).status).toBe(200);
    expect((await route.handler(exchange('2.2.2.2'))).status).toBe(429); // one budget for everyone

    const ipRoute = setup([limiter('ir', ['1/1h'], { key: { kind: 'ip+route' } })]);
    expect((await ipRoute.handler(exchange('1.1.1.1'))).status).toBe(200);
    expect((await ipRoute.handler(exchange('2.2.2.2'))).status).toBe(200);
    expect((await ipRoute.handler(exchange('1.1.1.1'))).status).toBe(429);
  });

  it('shadow: never rejects, records limitedBy and counts, adds no fields of its own', async () => {
    const sh = limiter('per-ip', ['1/1m'], { mode: 'shadow' });
    const s = setup([sh]);
    await s.handler(exchange());
    const x = exchange();
    const reply = await s.handler(x);
    expect(reply).toBe(s.ok); // untouched: no fields at all
    expect(x.limitedBy).toBe('per-ip (shadow)');
    expect(await s.limitedCount('per-ip')).toBe(1);
    expect(sh.snapshot()).toMatchObject({ mode: 'shadow', limited_total: 1 });
  });

  it('shadow next to an enforced policy: the enforced one still decides and reports', async () => {
    const sh = limiter('trial', ['1/1m'], { mode: 'shadow' });
    const en = limiter('per-ip', ['2/1m']);
    const s = setup([sh, en]);
    const x1 = exchange();
    await s.handler(x1);
    const x2 = exchange();
    const r2 = await s.handler(x2);
    expect(r2.status).toBe(200);
    expect(x2.limitedBy).toBe('trial (shadow)');
    expect(rlHeaders(r2)).toMatchObject({ limit: 2, remaining: 0, policy: '"per-ip";q=2;w=60', ratelimit: '"per-ip";r=0;t=60' });
    const x3 = exchange();
    expect((await s.handler(x3)).status).toBe(429);
    expect(x3.limitedBy).toBe('per-ip');
  });

  it('works the same with an asynchronous store', async () => {
    const mem = new MemoryRateLimitStore();
    const asyncStore: RateLimitStore = { kind: 'redis', health: () => 'operational', hit: (l, k, n) => Promise.resolve(mem.hit(l, k, n)) };
    const s = setup([limiter('per-ip', ['1/1m'])], asyncStore);
    const r1 = await s.handler(exchange());
    expect(r1.status).toBe(200);
    expect(rlHeaders(r1).remaining).toBe(0);
    expect((await s.handler(exchange())).status).toBe(429);
  });

  it('store unavailable: on_error allow omits the fields, deny answers 429 saying so', async () => {
    const l = limiter('per-ip', ['60/1m']);
    const allowStore: RateLimitStore = { kind: 'redis', health: () => 'degraded', hit: (ls) => Promise.resolve(ls.map((x) => x.unavailableAllow)) };
    const a = setup([l], allowStore);
    expect(await a.handler(exchange())).toBe(a.ok); // untouched: no fields

    const denyStore: RateLimitStore = { kind: 'redis', health: () => 'degraded', hit: (ls) => Promise.resolve<Decision[]>(ls.map((x) => x.unavailableDeny)) };
    const d = setup([l], denyStore);
    const reply = await d.handler(exchange());
    expect(reply.status).toBe(429);
    expect(reply.headers['retry-after']).toBe(1);
    expect(reply.headers['x-ratelimit-limit']).toBeUndefined();
    expect(JSON.parse((reply.body as Buffer).toString()).detail).toMatch(/unavailable/);
    expect(d.calls()).toBe(0);
  });
});
