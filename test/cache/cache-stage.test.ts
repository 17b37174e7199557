import { describe, it, expect, vi } from 'vitest';
import { cacheStage } from '../../src/pipeline/stages/cache.js';
import { ResponseCache } from '../../src/cache/response-cache.js';
import { formatHttpDate } from '../../src/cache/http-date.js';
import { Metrics } from '../../src/observability/metrics.js';
import type { Exchange } from '../../src/pipeline/exchange.js';
import type { Handler } from '../../src/pipeline/types.js';
import type { CacheDef } from '../../src/cache/types.js';
import { cacheDef, exchange, manualClock, settle, T0, text, upstream } from './helpers.js';

function setup(def: Partial<CacheDef> = {}, metrics?: Metrics) {
  const clock = manualClock();
  const cache = new ResponseCache('assessments', cacheDef(def), { now: clock.now, metrics: metrics ?? null });
  const stage = cacheStage(cache, { waitMs: 5_000 });
  return { clock, cache, stage };
}

describe('cache stage: HIT / MISS / BYPASS', () => {
  it('stores a fresh response and answers the next request from the cache with Age, X-Cache and Cache-Status', async () => {
    const { clock, stage } = setup();
    const next = vi.fn<Handler>(async () => upstream(200, { 'cache-control': 'max-age=60', 'content-type': 'application/json' }, '{"id":1}'));
    const h = stage(next);
    const x1 = exchange('GET', '/api/v1/assessments/1');
    const r1 = await h(x1);
    expect(r1.headers['x-cache']).toBe('MISS');
    expect(r1.headers['cache-status']).toBe('sono-guard; fwd=uri-miss; fwd-status=200; stored');
    expect(x1.cache).toBe('MISS');
    expect(await text(r1)).toBe('{"id":1}');
    await settle();

    clock.advance(5_000);
    const x2 = exchange('GET', '/api/v1/assessments/1');
    const r2 = await h(x2);
    expect(next).toHaveBeenCalledTimes(1);
    expect(x2.cache).toBe('HIT');
    expect(r2.status).toBe(200);
    expect(r2.headers['x-cache']).toBe('HIT');
    expect(r2.headers.age).toBe('5');
    expect(r2.headers.date).toBe(formatHttpDate(T0));
    expect(r2.headers['cache-status']).toBe('sono-guard; hit; ttl=55');
    expect(r2.headers['content-length']).toBe(8);
    expect(Buffer.isBuffer(r2.body) && r2.body.toString()).toBe('{"id":1}');
  });

  it('answers the memory-store hit synchronously inside the handler (no await before the reply exists)', async () => {
    const { stage } = setup();
    const h = stage(async () => upstream(200, { 'cache-control': 'max-age=60' }, 'x'));
    await text(await h(exchange('GET', '/a')));
    await settle();
    let resolved = false;
    const p = h(exchange('GET', '/a')).then((r) => { resolved = true; return r; });
    await Promise.resolve();
    await Promise.resolve();
    expect(resolved).toBe(true);
    expect((await p).headers['x-cache']).toBe('HIT');
  });

  it('answers HEAD from the stored GET, without a body', async () => {
    const { stage } = setup();
    const next = vi.fn<Handler>(async () => upstream(200, { 'cache-control': 'max-age=60' }, 'hello'));
    const h = stage(next);
    await text(await h(exchange('GET', '/h')));
    await settle();
    const r = await h(exchange('HEAD', '/h'));
    expect(next).toHaveBeenCalledTimes(1);
    expect(r.headers['x-cache']).toBe('HIT');
    expect(r.headers['content-length']).toBe(5);
    expect(r.body).toBeNull();
  });

  it('never stores the answer to a HEAD as the GET entry', async () => {
    const { stage } = setup();
    const next = vi.fn<Handler>(async () => ({ ...upstream(200, { 'cache-control': 'max-age=60', 'content-length': '5' }), body: null }));
    const h = stage(next);
    await h(exchange('HEAD', '/head-first'));
    await settle();
    next.mockImplementation(async () => upstream(200, { 'cache-control': 'max-age=60' }, 'hello'));
    const r = await h(exchange('GET', '/head-first'));
    expect(r.headers['x-cache']).toBe('MISS');
    expect(await text(r)).toBe('hello');
  });

  it.each([
    [{ authorization: 'Bearer t' }, 'sono-guard; fwd=bypass; detail=authorization'],
    [{ 'cache-control': 'no-store' }, 'sono-guard; fwd=bypass; detail=no-store'],
  ])('bypasses requests with %j', async (headers, status) => {
    const { stage } = setup();
    const next = vi.fn<Handler>(async () => upstream(200, { 'cache-control': 'max-age=60' }, 'x'));
    const h = stage(next);
    for (let i = 0; i < 2; i++) {
      const x = exchange('GET', '/b', headers);
      const r = await h(x);
      await text(r);
      expect(x.cache).toBe('BYPASS');
      expect(r.headers['x-cache']).toBe('BYPASS');
      expect(r.headers['cache-status']).toBe(status);
    }
    expect(next).toHaveBeenCalledTimes(2);
  });

  it('caches per credential when authorization is in the policy vary', async () => {
    const { stage } = setup({ vary: ['authorization'] });
    let n = 0;
    const h = stage(async () => upstream(200, { 'cache-control': 'max-age=60' }, `user-${++n}`));
    expect(await text(await h(exchange('GET', '/me', { authorization: 'A' })))).toBe('user-1');
    await settle();
    expect(await text(await h(exchange('GET', '/me', { authorization: 'B' })))).toBe('user-2');
    await settle();
    const again = await h(exchange('GET', '/me', { authorization: 'A' }));
    expect(again.headers['x-cache']).toBe('HIT');
    expect(await text(again)).toBe('user-1');
  });

  it.each([
    [{ 'set-cookie': 'a=b', 'cache-control': 'max-age=60' }],
    [{ 'cache-control': 'private, max-age=60' }],
    [{ 'cache-control': 'no-store' }],
    [{ 'cache-control': 'max-age=60', vary: 'accept, *' }],
    [{}],
  ])('does not store %j', async (headers) => {
    const { stage } = setup();
    const next = vi.fn<Handler>(async () => upstream(200, headers, 'x'));
    const h = stage(next);
    for (let i = 0; i < 2; i++) {
      const r = await h(exchange('GET', '/n'));
      expect(r.headers['x-cache']).toBe('MISS');
      await text(r);
      await settle();
    }
    expect(next).toHaveBeenCalledTimes(2);
  });

  it('marks other methods BYPASS and passes them through', async () => {
    const { stage } = setup();
    const next = vi.fn<Handler>(async () => upstream(204, {}));
    const x = exchange('OPTIONS', '/o');
    const r = await stage(next)(x);
    expect(x.cache).toBe('BYPASS');
    expect(r.headers['cache-status']).toBe('sono-guard; fwd=method');
  });

  it('answers only-if-cached with 504 when nothing usable is stored', async () => {
    const { stage } = setup();
    const next = vi.fn<Handler>();
    const r = await stage(next)(exchange('GET', '/oic', { 'cache-control': 'only-if-cached' }));
    expect(r.status).toBe(504);
    expect(next).not.toHaveBeenCalled();
  });

  it('selects variants by the response Vary and the policy vary', async () => {
    const { stage } = setup({ vary: ['accept'] });
    let n = 0;
    const next = vi.fn<Handler>(async (x: Exchange) =>
      upstream(200, { 'cache-control': 'max-age=60', vary: 'Accept-Language' }, `${x.req.headers.accept}/${x.req.headers['accept-language']}/${++n}`));
    const h = stage(next);
    const get = async (headers: Record<string, string>) => {
      const r = await h(exchange('GET', '/v', headers));
      const body = await text(r);
      await settle();
      return [r.headers['x-cache'], body];
    };
    expect(await get({ accept: 'json', 'accept-language': 'en' })).toEqual(['MISS', 'json/en/1']);
    expect(await get({ accept: 'json', 'accept-language': 'de' })).toEqual(['MISS', 'json/de/2']);
    expect(await get({ accept: 'xml', 'accept-language': 'en' })).toEqual(['MISS', 'xml/en/3']);
    expect(await get({ accept: 'json', 'accept-language': 'en' })).toEqual(['HIT', 'json/en/1']);
    expect(await get({ accept: 'json', 'accept-language': 'de' })).toEqual(['HIT', 'json/de/2']);
    expect(await get({ accept: 'json' })).toEqual(['MISS', 'json/undefined/4']);
  });
});

describe('cache stage: client conditionals', () => {
  it('answers If-None-Match from a fresh entry with 304 (If-None-Match wins over If-Modified-Since)', async () => {
    const { stage } = setup();
    const h = stage(async () => upstream(200, { 'cache-control': 'max-age=60', etag: '"v1"', 'last-modified': formatHttpDate(T0 - 10_000) }, 'body'));
    await text(await h(exchange('GET', '/c')));
    await settle();
    const r = await h(exchange('GET', '/c', { 'if-none-match': '"v1"', 'if-modified-since': formatHttpDate(T0 - 60_000) }));
    expect(r.status).toBe(304);
    expect(r.headers.etag).toBe('"v1"');
    expect(r.headers['x-cache']).toBe('HIT');
    expect(r.body).toBeNull();
    const r2 = await h(exchange('GET', '/c', { 'if-none-match': '"other"', 'if-modified-since': formatHttpDate(T0) }));
    expect(r2.status).toBe(200);
  });

  it('asks the app for a full response on a miss and answers the client 304 itself, still storing the body', async () => {
    const { stage } = setup();
    const next = vi.fn<Handler>(async () => upstream(200, { 'cache-control': 'max-age=60', etag: '"v1"' }, 'body'));
    const h = stage(next);
    const x = exchange('GET', '/c2', { 'if-none-match': '"v1"' });
    const r = await h(x);
    expect(x.req.headers['if-none-match']).toBeUndefined();
    expect(r.status).toBe(304);
    await settle();
    const hit = await h(exchange('GET', '/c2'));
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(await text(hit)).toBe('body');
    expect(next).toHaveBeenCalledTimes(1);
  });
});
