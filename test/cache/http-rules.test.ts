import { describe, it, expect, afterEach } from 'vitest';
import { request } from 'undici';
import { startMiniProxy, startOrigin, type MiniProxy, type Origin } from './mini-proxy.js';
import { cacheDef, manualClock } from './helpers.js';
import type { CacheDef } from '../../src/cache/types.js';

let origin: Origin | null = null;
let proxy: MiniProxy | null = null;
afterEach(async () => {
  await proxy?.close();
  await origin?.close();
  proxy = null;
  origin = null;
});

type Script = (path: string, h: Record<string, string | string[] | undefined>, n: number) => { status?: number; headers?: Record<string, string | string[]>; body?: string };

async function setup(script: Script, def: Partial<CacheDef> = {}) {
  const clock = manualClock(Date.now());
  origin = await startOrigin((req, res, n) => {
    const r = script(req.url ?? '/', req.headers, n);
    res.writeHead(r.status ?? 200, { date: new Date(clock.now()).toUTCString(), ...(r.headers ?? {}) });
    res.end(r.body ?? `body-${n}`);
  });
  proxy = await startMiniProxy(origin.url, cacheDef(def), { now: clock.now });
  const get = async (path: string, headers: Record<string, string> = {}, method = 'GET') => {
    const r = await request(proxy!.url + path, { method: method as 'GET', headers });
    const text = await r.body.text();
    await proxy!.cache.flush();
    return { status: r.statusCode, headers: r.headers, text };
  };
  return { clock, get, origin: origin!, proxy: proxy! };
}

describe('RFC 9111 rules over real HTTP', () => {
  it('MISS then HIT with a generated Age and the origin Date untouched', async () => {
    const { get, clock, origin } = await setup(() => ({ headers: { 'cache-control': 'max-age=60' } }));
    const a = await get('/a?y=2&x=1');
    expect(a.headers['x-cache']).toBe('MISS');
    clock.advance(7_000);
    const b = await get('/a?x=1&y=2');
    expect(b.headers['x-cache']).toBe('HIT');
    expect(b.headers.age).toBe('7');
    expect(b.headers.date).toBe(a.headers.date);
    expect(b.text).toBe('body-1');
    expect(b.headers['x-request-id']).toBeDefined();
    expect(origin.requests).toHaveLength(1);
  });

  it('honours an incoming Age: stale when Age exceeds max-age', async () => {
    const { get, origin } = await setup(() => ({ headers: { 'cache-control': 'max-age=10', age: '15' } }));
    await get('/aged');
    await get('/aged');
    expect(origin.requests).toHaveLength(2);
  });

  it('never stores for a request with Authorization, nor a response with Set-Cookie, private or Vary containing *', async () => {
    const { get, origin } = await setup((path) => ({
      headers: {
        'cache-control': path === '/private' ? 'private, max-age=60' : 'max-age=60',
        ...(path === '/cookie' ? { 'set-cookie': 'sid=1' } : {}),
        ...(path === '/vary' ? { vary: 'Accept, *' } : {}),
      },
    }));
    for (const p of ['/auth', '/cookie', '/private', '/vary']) {
      const h: Record<string, string> = p === '/auth' ? { authorization: 'Bearer a' } : {};
      await get(p, h);
      const again = await get(p, h);
      expect(again.headers['x-cache']).toBe(p === '/auth' ? 'BYPASS' : 'MISS');
    }
    expect(origin.requests).toHaveLength(8);
  });

  it('does not store headers named in Connection', async () => {
    const { get } = await setup(() => ({ headers: { 'cache-control': 'max-age=60', connection: 'x-hop', 'x-hop': '1', 'x-end': '2' } }));
    await get('/conn');
    const hit = await get('/conn');
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers['x-hop']).toBeUndefined();
    expect(hit.headers['x-end']).toBe('2');
  });

  it('revalidates a stale entry with If-None-Match and refreshes it from a 304', async () => {
    const { get, clock, origin } = await setup((_p, h, n) =>
      h['if-none-match'] === '"v1"'
        ? { status: 304, headers: { etag: '"v1"', 'cache-control': 'max-age=60', 'x-gen': String(n) } }
        : { headers: { etag: '"v1"', 'cache-control': 'max-age=1', 'x-gen': String(n) } });
    await get('/rv');
    clock.advance(5_000);
    const r = await get('/rv');
    expect(origin.requests[1]!.headers['if-none-match']).toBe('"v1"');
    expect(r.status).toBe(200);
    expect(r.text).toBe('body-1');
    expect(r.headers['x-gen']).toBe('2');
    const hit = await get('/rv');
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers['x-gen']).toBe('2');
    expect(origin.requests).toHaveLength(2);
  });

  it('answers a client If-None-Match with 304 from a fresh entry', async () => {
    const { get } = await setup(() => ({ headers: { etag: '"e1"', 'cache-control': 'max-age=60' } }));
    await get('/c');
    const r = await get('/c', { 'if-none-match': '"e1"', 'if-modified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' });
    expect(r.status).toBe(304);
    expect(r.headers.etag).toBe('"e1"');
  });

  it('answers HEAD from the stored GET', async () => {
    const { get, origin } = await setup(() => ({ headers: { 'cache-control': 'max-age=60' }, body: 'twelve bytes' }));
    await get('/head');
    const r = await get('/head', {}, 'HEAD');
    expect(r.headers['x-cache']).toBe('HIT');
    expect(r.headers['content-length']).toBe('12');
    expect(r.text).toBe('');
    expect(origin.requests).toHaveLength(1);
  });

  it('streams a response over max_entry_bytes through without storing it', async () => {
    const big = 'x'.repeat(200_000);
    const { get, origin, proxy } = await setup(() => ({ headers: { 'cache-control': 'max-age=60' }, body: big }), { max_entry_bytes: 50_000 });
    expect((await get('/big')).text).toHaveLength(200_000);
    expect((await get('/big')).text).toHaveLength(200_000);
    expect(origin.requests).toHaveLength(2);
    expect(proxy.cache.snapshot().entries).toBe(0);
  });

  it('coalesces 50 concurrent misses into one origin request', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const clock = manualClock(Date.now());
    origin = await startOrigin((_req, res) => {
      void held.then(() => {
        res.writeHead(200, { 'cache-control': 'max-age=60', date: new Date(clock.now()).toUTCString() });
        res.end('one');
      });
    });
    proxy = await startMiniProxy(origin.url, cacheDef(), { now: clock.now });
    const all = Array.from({ length: 50 }, () => request(proxy!.url + '/hot').then((r) => r.body.text()));
    await new Promise((r) => setTimeout(r, 50));
    release();
    const bodies = await Promise.all(all);
    expect(bodies.every((b) => b === 'one')).toBe(true);
    expect(origin.requests).toHaveLength(1);
  });

  it('evicts the URL and Location after a successful POST', async () => {
    const { get, origin } = await setup((path, h): ReturnType<Script> =>
      path === '/items' && h['content-length'] !== undefined
        ? { status: 201, headers: { location: '/items/1' } }
        : { headers: { 'cache-control': 'max-age=60' } });
    await get('/items');
    await get('/items/1');
    await get('/items', {}, 'POST');
    expect((await get('/items')).headers['x-cache']).toBe('MISS');
    expect((await get('/items/1')).headers['x-cache']).toBe('MISS');
    expect(origin.requests).toHaveLength(5);
  });

  it('serves stale (no 5xx) within stale_if_error when the origin is gone', async () => {
    const { get, clock, origin } = await setup(() => ({ headers: { 'cache-control': 'max-age=10' } }), { stale_if_error: 600_000 });
    await get('/sie');
    await origin.close();
    clock.advance(60_000);
    const r = await get('/sie');
    expect(r.status).toBe(200);
    expect(r.headers['x-cache']).toBe('STALE');
    expect(r.text).toBe('body-1');
  });
});
