import { describe, it, expect, vi } from 'vitest';
import { PassThrough, Readable } from 'node:stream';
import { cacheStage, invalidateStage } from '../../src/pipeline/stages/cache.js';
import { ResponseCache } from '../../src/cache/response-cache.js';
import { problem } from '../../src/pipeline/problem.js';
import { Metrics } from '../../src/observability/metrics.js';
import type { Exchange } from '../../src/pipeline/exchange.js';
import type { Handler, Reply } from '../../src/pipeline/types.js';
import type { CacheDef } from '../../src/cache/types.js';
import { formatHttpDate } from '../../src/cache/http-date.js';
import { primaryKey } from '../../src/cache/key.js';
import { cacheDef, exchange, manualClock, settle, text, upstream } from './helpers.js';

function setup(def: Partial<CacheDef> = {}, metrics: Metrics | null = null) {
  const clock = manualClock();
  const cache = new ResponseCache('assessments', cacheDef(def), { now: clock.now, metrics });
  return { clock, cache, stage: cacheStage(cache, { waitMs: 5_000 }) };
}

function gate<T>() {
  let open!: (v: T) => void;
  const p = new Promise<T>((r) => (open = r));
  return { p, open };
}

describe('tee into the store', () => {
  it('streams to the client before the upstream body ends (backpressure kept), then stores it', async () => {
    const { stage } = setup();
    const body = new PassThrough();
    const h = stage(async () => ({ status: 200, headers: { 'cache-control': 'max-age=60' }, body }));
    const r = await h(exchange('GET', '/t'));
    const out = r.body as Readable;
    body.write('first-');
    const firstChunk = await new Promise<Buffer>((res) => out.once('data', res));
    expect(firstChunk.toString()).toBe('first-');
    const rest: Buffer[] = [];
    out.on('data', (c: Buffer) => rest.push(c));
    body.end('second');
    await new Promise((res) => out.once('end', res));
    expect(Buffer.concat(rest).toString()).toBe('second');
    const hit = await h(exchange('GET', '/t'));
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(await text(hit)).toBe('first-second');
  });

  it('passes a body over max_entry_bytes through whole without storing it', async () => {
    const { stage, cache } = setup({ max_entry_bytes: 1000 });
    const chunks = Array.from({ length: 10 }, (_, i) => Buffer.alloc(300, 97 + i));
    const next = vi.fn<Handler>(async () => upstream(200, { 'cache-control': 'max-age=60' }, chunks));
    const h = stage(next);
    const r = await h(exchange('GET', '/big'));
    expect((await text(r)).length).toBe(3000);
    await settle();
    expect(cache.snapshot().entries).toBe(0);
    await text(await h(exchange('GET', '/big')));
    expect(next).toHaveBeenCalledTimes(2);
  });

  it('does not tee at all when Content-Length already exceeds the cap', async () => {
    const { stage, cache } = setup({ max_entry_bytes: 10 });
    const h = stage(async () => upstream(200, { 'cache-control': 'max-age=60', 'content-length': '20' }, '01234567890123456789'));
    const r = await h(exchange('GET', '/big2'));
    expect(await text(r)).toHaveLength(20);
    expect(cache.snapshot().entries).toBe(0);
  });

  it('stores nothing when the upstream body fails midway, and the client stream errors', async () => {
    const { stage, cache } = setup();
    const body = new PassThrough();
    const h = stage(async () => ({ status: 200, headers: { 'cache-control': 'max-age=60' }, body }));
    const r = await h(exchange('GET', '/broken'));
    const out = r.body as Readable;
    const failed = new Promise((res) => out.once('error', res));
    out.resume();
    body.write('part');
    body.destroy(new Error('upstream reset'));
    await failed;
    await settle();
    expect(cache.snapshot().entries).toBe(0);
  });
});

describe('coalescing', () => {
  it('makes exactly one upstream request for 100 concurrent misses', async () => {
    const { stage } = setup();
    const g = gate<void>();
    const next = vi.fn<Handler>(async () => {
      await g.p;
      return upstream(200, { 'cache-control': 'max-age=60' }, 'shared');
    });
    const h = stage(next);
    const all = Array.from({ length: 100 }, () => h(exchange('GET', '/hot')).then(async (r) => [r.headers['x-cache'], r.headers['cache-status'], await text(r)]));
    await settle();
    g.open();
    const res = await Promise.all(all);
    expect(next).toHaveBeenCalledTimes(1);
    expect(res.every(([, , b]) => b === 'shared')).toBe(true);
    expect(res.filter(([xc]) => xc === 'MISS')).toHaveLength(1);
    expect(res.filter(([, cs]) => String(cs).endsWith('collapsed'))).toHaveLength(99);
  });

  it('releases waiters when the leader fails: they go upstream themselves, none hangs', async () => {
    const { stage } = setup();
    const g = gate<void>();
    let calls = 0;
    const next = vi.fn<Handler>(async (x: Exchange) => {
      calls++;
      if (calls === 1) {
        await g.p;
        return problem(x, 'upstream_unavailable', 'down');
      }
      return upstream(200, { 'cache-control': 'max-age=60' }, 'ok');
    });
    const h = stage(next);
    const all = Array.from({ length: 10 }, () => h(exchange('GET', '/flaky')));
    await settle();
    g.open();
    const res = await Promise.all(all);
    expect(res[0]!.status).toBe(502);
    expect(res.slice(1).every((r) => r.status === 200)).toBe(true);
    expect(next.mock.calls.length).toBeGreaterThan(1);
  });

  it('releases waiters when the leader answers something unstorable, and stops coalescing that key', async () => {
    const { stage, cache } = setup();
    const g = gate<void>();
    const next = vi.fn<Handler>(async () => {
      await g.p;
      return upstream(200, { 'cache-control': 'private' }, 'mine');
    });
    const h = stage(next);
    const all = Array.from({ length: 5 }, () => h(exchange('GET', '/private')).then(text));
    await settle();
    g.open();
    expect(await Promise.all(all)).toEqual(['mine', 'mine', 'mine', 'mine', 'mine']);
    expect(next).toHaveBeenCalledTimes(5);
    expect(cache.inflight.size).toBe(0);
    expect(cache.passing(primaryKey('app.test', '/private', '', {}, []))).toBe(true);
  });

  it('bounds the wait by the route timeout', async () => {
    const clock = manualClock();
    const cache = new ResponseCache('c', cacheDef(), { now: clock.now });
    const h = cacheStage(cache, { waitMs: 20 })(async (x) => {
      if (x.id === 'leader') await new Promise(() => {}); // never answers
      return upstream(200, { 'cache-control': 'max-age=60' }, 'own');
    });
    const leader = exchange('GET', '/slow');
    leader.id = 'leader';
    void h(leader);
    await settle();
    const r = await h(exchange('GET', '/slow'));
    expect(await text(r)).toBe('own');
  });
});

describe('stale serving', () => {
  it('serves stale within stale-while-revalidate and refreshes once in the background', async () => {
    const { stage, clock } = setup({ stale_while_revalidate: 30_000 });
    let version = 1;
    const g = gate<void>();
    const next = vi.fn<Handler>(async () => {
      if (version > 1) await g.p;
      return upstream(200, { 'cache-control': 'max-age=10', date: formatHttpDate(clock.now()) }, `v${version}`);
    });
    const h = stage(next);
    await text(await h(exchange('GET', '/swr')));
    await settle();
    clock.advance(15_000);
    version = 2;
    const stale = await Promise.all(Array.from({ length: 10 }, () => h(exchange('GET', '/swr'))));
    expect(stale.every((r) => r.headers['x-cache'] === 'STALE')).toBe(true);
    expect(await text(stale[0]!)).toBe('v1');
    expect(stale[0]!.headers['cache-status']).toBe('sono-guard; hit; ttl=-5; detail=stale-while-revalidate');
    expect(next).toHaveBeenCalledTimes(2);
    g.open();
    await settle(10);
    const fresh = await h(exchange('GET', '/swr'));
    expect(fresh.headers['x-cache']).toBe('HIT');
    expect(await text(fresh)).toBe('v2');
    expect(next).toHaveBeenCalledTimes(2);
  });

  it.each([
    ['a 503 from the app', (x: Exchange): Reply => { void x; return upstream(503, {}, 'app down'); }],
    ['circuit_open', (x: Exchange): Reply => problem(x, 'circuit_open', 'open', { 'retry-after': 30 })],
    ['upstream_timeout', (x: Exchange): Reply => { x.upstreamFailure = 'timeout'; return problem(x, 'upstream_timeout', 't'); }],
  ])('serves stale within stale_if_error on %s', async (_n, fail) => {
    const metrics = new Metrics({ defaultMetrics: false });
    const { stage, clock } = setup({ stale_if_error: 600_000 }, metrics);
    let down = false;
    let errorBody: Reply['body'] = null;
    const h = stage(async (x) => {
      if (!down) return upstream(200, { 'cache-control': 'max-age=10' }, 'good');
      const r = fail(x);
      errorBody = r.body;
      return r;
    });
    await text(await h(exchange('GET', '/sie')));
    await settle();
    clock.advance(60_000);
    down = true;
    const x = exchange('GET', '/sie');
    const r = await h(x);
    expect(r.status).toBe(200);
    expect(r.headers['x-cache']).toBe('STALE');
    expect(x.cache).toBe('STALE');
    expect(x.errorCode).toBeNull();
    expect(r.headers.age).toBe('60');
    expect(String(r.headers['cache-status'])).toMatch(/fwd=stale; fwd-status=(503|502|504); ttl=-50; detail=stale-if-error$/);
    expect(await text(r)).toBe('good');
    if (errorBody !== null && !Buffer.isBuffer(errorBody)) expect((errorBody as Readable).destroyed).toBe(true);
    expect(await metrics.registry.getSingleMetricAsString('cache_stale_served_total')).toContain('cache_stale_served_total{cache="assessments"} 1');
  });

  it('passes the error through once the stale_if_error window is over, or when must-revalidate forbids stale', async () => {
    const { stage, clock } = setup({ stale_if_error: 30_000 });
    let down = false;
    let cc = 'max-age=10';
    const h = stage(async () => (down ? upstream(503, {}, 'down') : upstream(200, { 'cache-control': cc }, 'good')));
    await text(await h(exchange('GET', '/late')));
    cc = 'max-age=10, must-revalidate';
    await text(await h(exchange('GET', '/mr')));
    await settle();
    clock.advance(50_000);
    down = true;
    expect((await h(exchange('GET', '/late'))).status).toBe(503);
    clock.set(clock.now() - 35_000);
    expect((await h(exchange('GET', '/mr'))).status).toBe(503);
  });
});

describe('revalidation', () => {
  it('revalidates a stale entry with its validators and refreshes it from a 304', async () => {
    const { stage, clock } = setup();
    const seen: Array<Record<string, string> | null> = [];
    let phase = 1;
    const next = vi.fn<Handler>(async (x: Exchange) => {
      seen.push(x.upstreamHeaders);
      if (phase === 1) return upstream(200, { 'cache-control': 'max-age=1', etag: '"v1"', 'x-version': 'a' }, 'payload');
      return { status: 304, headers: { 'cache-control': 'max-age=100', etag: '"v1"', 'x-version': 'b' }, body: null };
    });
    const h = stage(next);
    await text(await h(exchange('GET', '/rv', { 'if-none-match': '"client"' })));
    await settle();
    clock.advance(2_000);
    phase = 2;
    const x = exchange('GET', '/rv');
    const r = await h(x);
    expect(seen[1]).toEqual({ 'if-none-match': '"v1"' });
    expect(r.status).toBe(200);
    expect(r.headers['x-version']).toBe('b');
    expect(r.headers['cache-status']).toBe('sono-guard; fwd=stale; fwd-status=304; stored');
    expect(await text(r)).toBe('payload');
    const hit = await h(exchange('GET', '/rv'));
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers['x-version']).toBe('b');
    expect(hit.headers.age).toBe('0');
    expect(next).toHaveBeenCalledTimes(2);
  });

  it('revalidates a fresh entry when the client sends Cache-Control: no-cache', async () => {
    const { stage } = setup();
    const next = vi.fn<Handler>(async () => upstream(200, { 'cache-control': 'max-age=100', 'last-modified': 'Thu, 01 Jan 2026 00:00:00 GMT' }, 'x'));
    const h = stage(next);
    await text(await h(exchange('GET', '/nc')));
    await settle();
    const x = exchange('GET', '/nc', { 'cache-control': 'no-cache' });
    await text(await h(x));
    expect(x.upstreamHeaders).toEqual({ 'if-modified-since': 'Thu, 01 Jan 2026 00:00:00 GMT' });
    expect(next).toHaveBeenCalledTimes(2);
  });
});

describe('invalidation', () => {
  const fresh = (body: string) => async () => upstream(200, { 'cache-control': 'max-age=600' }, body);

  it('evicts the URL, Location and the route patterns after a successful unsafe request, in every cache', async () => {
    const clock = manualClock();
    const a = new ResponseCache('a', cacheDef(), { now: clock.now });
    const b = new ResponseCache('b', cacheDef(), { now: clock.now });
    const ha = cacheStage(a, { waitMs: 1000 })(fresh('a'));
    const hb = cacheStage(b, { waitMs: 1000 })(fresh('b'));
    for (const p of ['/api/v1/assessments/1', '/api/v1/assessments/2?x=1', '/api/v1/other']) await text(await ha(exchange('GET', p)));
    await text(await hb(exchange('GET', '/api/v1/candidates/9')));
    await text(await hb(exchange('GET', '/api/v1/created/5')));
    await settle();
    expect(a.snapshot().entries + b.snapshot().entries).toBe(5);
    const post = invalidateStage([a, b], ['/api/v1/assessments/*'])(async () => upstream(201, { location: '/api/v1/created/5' }));
    await post(exchange('POST', '/api/v1/candidates/9'));
    expect(a.snapshot().entries).toBe(1); // only /api/v1/other left
    expect(b.snapshot().entries).toBe(0);
  });

  it('leaves entries alone when the unsafe request failed', async () => {
    const clock = manualClock();
    const c = new ResponseCache('c', cacheDef(), { now: clock.now });
    let status = 200;
    const h = cacheStage(c, { waitMs: 1000 })(async (x) => (x.method === 'GET' ? upstream(200, { 'cache-control': 'max-age=600' }, 'x') : upstream(status, {})));
    await text(await h(exchange('GET', '/r')));
    await settle();
    status = 500;
    const x = exchange('DELETE', '/r');
    await h(x);
    expect(x.cache).toBe('BYPASS');
    expect(c.snapshot().entries).toBe(1);
    status = 204;
    await h(exchange('M-SEARCH', '/r'));
    expect(c.snapshot().entries).toBe(0);
  });

  it('ignores Location on another host', async () => {
    const clock = manualClock();
    const c = new ResponseCache('c', cacheDef(), { now: clock.now });
    const get = cacheStage(c, { waitMs: 1000 })(fresh('x'));
    await text(await get(exchange('GET', '/target')));
    await settle();
    await invalidateStage([c], [])(async () => upstream(201, { location: 'http://elsewhere.test/target' }))(exchange('POST', '/create'));
    expect(c.snapshot().entries).toBe(1);
  });

  it('purges by pattern (POST /admin/cache/purge)', async () => {
    const { stage, cache } = setup();
    const h = stage(fresh('x'));
    for (const p of ['/api/v1/assessments/1', '/api/v1/assessments/2', '/docs/a/b']) await text(await h(exchange('GET', p)));
    await settle();
    expect(await cache.purge('/api/v1/assessments/*')).toBe(2);
    expect(await cache.purge('/docs/**')).toBe(1);
    expect(cache.snapshot().entries).toBe(0);
  });
});

describe('counters and gauges', () => {
  it('counts hits, misses and stale, reports the hit ratio and exposes entries/bytes gauges', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const { stage, cache } = setup({}, metrics);
    const h = stage(async () => upstream(200, { 'cache-control': 'max-age=60' }, 'abc'));
    await text(await h(exchange('GET', '/m')));
    await settle();
    await h(exchange('GET', '/m'));
    await h(exchange('GET', '/m'));
    const s = cache.snapshot();
    expect(s).toMatchObject({ entries: 1, hits: 2, misses: 1, hit_ratio: 0.6667 });
    expect(s.bytes).toBeGreaterThan(3);
    const text2 = await metrics.registry.metrics();
    expect(text2).toContain('cache_hits_total{cache="assessments"} 2');
    expect(text2).toContain('cache_misses_total{cache="assessments"} 1');
    expect(text2).toContain('cache_entries{cache="assessments"} 1');
    expect(text2).toMatch(/cache_bytes\{cache="assessments"\} [1-9]/);
    await cache.close();
    expect(await metrics.registry.metrics()).not.toContain('cache_entries{cache="assessments"}');
  });
});
