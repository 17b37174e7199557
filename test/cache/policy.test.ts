import { describe, it, expect } from 'vitest';
import { analyzeResponse, requestRules, REVALIDATE_GRACE_MS, type Storability } from '../../src/cache/policy.js';
import { formatHttpDate } from '../../src/cache/http-date.js';
import type { CacheDef } from '../../src/cache/types.js';

const NOW = Date.UTC(2026, 0, 22, 10, 30, 0);
const DATE = formatHttpDate(NOW);
const def = (o: Partial<CacheDef> = {}): CacheDef => ({
  ttl: 0, max_ttl: null, max_bytes: 1 << 20, max_entry_bytes: 1 << 16, vary: [],
  stale_while_revalidate: 0, stale_if_error: 0, ...o,
});
const analyze = (status: number, headers: Record<string, string | string[]>, d = def(), requestTime = NOW, responseTime = NOW): Storability =>
  analyzeResponse({ status, headers: { date: DATE, ...headers }, requestTime, responseTime }, d);
const reason = (s: Storability) => (s.ok ? 'stored' : s.reason);

describe('request cacheability', () => {
  it.each([
    [{}, false, { bypass: null, noCache: false }],
    [{ authorization: 'Bearer x' }, false, { bypass: 'authorization' }],
    [{ authorization: 'Bearer x' }, true, { bypass: null }],
    [{ 'cache-control': 'no-store' }, false, { bypass: 'no-store' }],
    [{ 'cache-control': 'no-cache' }, false, { noCache: true }],
    [{ 'cache-control': 'max-age=0' }, false, { noCache: true, maxAgeMs: 0 }],
    [{ 'cache-control': 'max-age=60' }, false, { noCache: false, maxAgeMs: 60_000 }],
    [{ pragma: 'no-cache' }, false, { noCache: true }],
    [{ pragma: 'no-cache', 'cache-control': 'max-stale' }, false, { noCache: false, maxStaleMs: Infinity }],
    [{ 'cache-control': 'max-stale=30' }, false, { maxStaleMs: 30_000 }],
    [{ 'cache-control': 'min-fresh=10' }, false, { minFreshMs: 10_000 }],
    [{ 'cache-control': 'only-if-cached' }, false, { onlyIfCached: true }],
    [{ 'cache-control': 'stale-if-error=5' }, false, { sieMs: 5_000 }],
  ])('%j (authorization in vary: %s)', (headers, authInKey, want) => {
    expect(requestRules(headers, authInKey)).toMatchObject(want);
  });
});

describe('response storability (SPEC §4 + RFC 9111 §3)', () => {
  it.each([
    [200, {}, 'stored'], [203, {}, 'stored'], [204, {}, 'stored'], [300, {}, 'stored'],
    [301, {}, 'stored'], [404, {}, 'stored'], [410, {}, 'stored'],
    // With the app's explicit freshness any final status below 500 may be stored (RFC 9111 §3)...
    [201, {}, 'stored'], [302, {}, 'stored'], [307, {}, 'stored'], [400, {}, 'stored'],
    // ... except partial content, 304, server errors and interim responses.
    [206, {}, 'status'], [500, {}, 'status'], [503, {}, 'status'], [100, {}, 'status'], [304, {}, 'status'],
  ])('status %i with max-age → %s', (status, extra, want) => {
    expect(reason(analyze(status, { 'cache-control': 'max-age=60', ...extra }))).toBe(want);
  });

  it.each([[201], [302], [307], [400], [500]])('status %i without explicit freshness is never stored on the policy ttl', (status) => {
    expect(reason(analyze(status, {}))).toBe('status');
  });

  it.each([
    [{ 'cache-control': 'max-age=60', 'set-cookie': 'a=b' }, 'set-cookie'],
    [{ 'cache-control': 'private, max-age=60' }, 'private'],
    [{ 'cache-control': 'max-age=60, No-StOrE' }, 'no-store'],
    [{ 'cache-control': 'max-age=60', vary: '*' }, 'vary-star'],
    [{ 'cache-control': 'max-age=60', vary: 'accept, *' }, 'vary-star'],
    [{ 'cache-control': 'max-age=60', vary: ['', '*'] }, 'vary-star'],
    [{ 'cache-control': 'max-age=60', vary: 'Accept' }, 'stored'],
    [{ 'cache-control': 'no-cache, max-age=60' }, 'no-cache'],
    [{ 'cache-control': 'no-cache, max-age=60', etag: '"a"' }, 'stored'],
    [{ 'cache-control': 'private="x-user", max-age=60' }, 'stored'],
    [{}, 'no-freshness'],
    [{ 'cache-control': 'max-age=0' }, 'stale'],
    [{ 'cache-control': 'max-age=0', etag: '"v1"' }, 'stored'],
    [{ expires: 'Thu, 01 Jan 1970 00:00:00 GMT' }, 'stale'],
    [{ expires: '0' }, 'stale'],
    [{ 'cache-control': 'max-age=10', age: '15' }, 'stale'],
    [{ 'cdn-cache-control': 'max-age=60', 'cache-control': 'no-store' }, 'stored'],
    [{ 'cdn-cache-control': 'no-store', 'cache-control': 'max-age=60' }, 'no-store'],
    [{ 'cdn-cache-control': 'private', 'cache-control': 'max-age=60' }, 'private'],
    [{ 'cdn-cache-control': 'max-age="60"', 'cache-control': 'no-store' }, 'no-store'],
    [{ 'cdn-cache-control': 'max-age=60, &&&', 'cache-control': 'no-store' }, 'no-store'],
  ])('%j → %s', (headers, want) => {
    expect(reason(analyze(200, headers))).toBe(want);
  });

  it('fills in the policy ttl only when the response states no freshness', () => {
    const d = def({ ttl: 300_000 });
    expect(analyze(200, {}, d)).toMatchObject({ ok: true, meta: { lifetimeMs: 300_000 } });
    expect(analyze(200, { 'cache-control': 'max-age=5' }, d)).toMatchObject({ ok: true, meta: { lifetimeMs: 5_000 } });
    expect(reason(analyze(200, { 'cache-control': 'max-age=0' }, d))).toBe('stale');
    expect(reason(analyze(200, { expires: 'garbage' }, d))).toBe('stale');
  });

  it.each([
    [{ 'cache-control': 's-maxage=10, max-age=3600' }, 10_000],
    [{ 'cache-control': 'max-age=3600, s-maxage=1' }, 1_000],
    [{ 'cache-control': 'max-age=3600', expires: formatHttpDate(NOW - 10_000) }, 3_600_000],
    [{ expires: formatHttpDate(NOW + 30_000) }, 30_000],
    [{ 'cdn-cache-control': 'max-age=3600', 'cache-control': 'max-age=1' }, 3_600_000],
    [{ 'cdn-cache-control': 'max-age=1', 'cache-control': 'max-age=3600' }, 1_000],
    [{ 'cdn-cache-control': 'max-age=3600', expires: '0' }, 3_600_000],
    [{ 'cache-control': 'max-age=2147483648' }, 2_147_483_648_000],
  ])('freshness lifetime of %j is %i ms', (headers, ms) => {
    expect(analyze(200, headers)).toMatchObject({ ok: true, meta: { lifetimeMs: ms } });
  });

  it('caps explicit freshness and the ttl default with max_ttl', () => {
    const d = def({ ttl: 600_000, max_ttl: 60_000 });
    expect(analyze(200, { 'cache-control': 'max-age=3600' }, d)).toMatchObject({ meta: { lifetimeMs: 60_000 } });
    expect(analyze(200, {}, d)).toMatchObject({ meta: { lifetimeMs: 60_000 } });
  });

  it('computes the corrected initial age (RFC 9111 §4.2.3)', () => {
    // incoming Age 30 s plus 2 s response delay
    expect(analyze(200, { 'cache-control': 'max-age=600', age: '30' }, def(), NOW - 2_000, NOW))
      .toMatchObject({ meta: { initialAgeMs: 32_000 } });
    // Date 50 s in the past: apparent age wins
    expect(analyze(200, { 'cache-control': 'max-age=600', date: formatHttpDate(NOW - 50_000) }))
      .toMatchObject({ meta: { initialAgeMs: 50_000 } });
    // unparsable Age is ignored
    expect(analyze(200, { 'cache-control': 'max-age=600', age: 'abc' })).toMatchObject({ meta: { initialAgeMs: 0 } });
  });

  it('strips hop-by-hop, Connection-listed, Age and the private/no-cache named fields; keeps Date', () => {
    const s = analyze(200, {
      'cache-control': 'max-age=60, private="x-user", no-cache="x-trace"', connection: 'x-hop', 'x-hop': '1',
      'keep-alive': 'timeout=5', 'transfer-encoding': 'chunked', age: '3', 'x-user': 'u', 'x-trace': 't',
      'content-length': '5', 'x-keep': 'k',
    });
    if (!s.ok) throw new Error(s.reason);
    expect(Object.keys(s.meta.headers).sort()).toEqual(['cache-control', 'date', 'x-keep']);
    expect(s.meta.headers.date).toBe(DATE);
  });

  it('adds Date when the response had none, never rewrites one', () => {
    const s = analyzeResponse({ status: 200, headers: { 'cache-control': 'max-age=5' }, requestTime: NOW, responseTime: NOW }, def());
    expect(s).toMatchObject({ ok: true, meta: { headers: { date: DATE } } });
  });

  it.each([
    ['must-revalidate', true], ['proxy-revalidate', true], ['s-maxage=60', true], ['no-cache', true], ['public', false],
  ])('max-age=60, %s → never served stale: %s', (cc, noStale) => {
    const s = analyze(200, { 'cache-control': `max-age=60, ${cc}`, etag: '"e"' }, def({ stale_if_error: 60_000, stale_while_revalidate: 5_000 }));
    expect(s).toMatchObject({ ok: true, meta: { noStale, sieMs: noStale ? 0 : 60_000, swrMs: noStale ? 0 : 5_000 } });
  });

  it('takes stale windows from the policy and the response (RFC 5861), the larger one', () => {
    const d = def({ stale_while_revalidate: 10_000, stale_if_error: 0 });
    const s = analyze(200, { 'cache-control': 'max-age=60, stale-while-revalidate=5, stale-if-error=120' }, d);
    expect(s).toMatchObject({ ok: true, meta: { swrMs: 10_000, sieMs: 120_000 }, ttlMs: 60_000 + 120_000 });
  });

  it('keeps entries with a validator past freshness for revalidation', () => {
    expect(analyze(200, { 'cache-control': 'max-age=2, must-revalidate', etag: '"a"' }))
      .toMatchObject({ ok: true, ttlMs: 2_000 + REVALIDATE_GRACE_MS });
  });

  it('records Vary names lower-cased and the validators', () => {
    const s = analyze(200, { 'cache-control': 'max-age=5', vary: 'Accept-Language, X-Foo', etag: '"e"', 'last-modified': DATE });
    expect(s).toMatchObject({ ok: true, meta: { vary: ['accept-language', 'x-foo'], etag: '"e"', lastModified: DATE } });
  });
});
