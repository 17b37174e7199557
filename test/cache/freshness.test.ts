import { describe, it, expect } from 'vitest';
import { assess, staleIfErrorAllowed, type RequestRules } from '../../src/cache/freshness.js';
import { requestRules } from '../../src/cache/policy.js';
import { notModified, takeConditions, validatorHeaders } from '../../src/cache/conditional.js';
import { normalizeField, pathPatternMatcher, primaryKey, sortQuery, urlMatcher, variantKey } from '../../src/cache/key.js';
import type { CacheEntry } from '../../src/cache/types.js';

const T0 = 1_000_000_000_000;
const entry = (o: Partial<CacheEntry> = {}): CacheEntry => ({
  kind: 'entry', status: 200, headers: {}, body: Buffer.from('x'), requestTime: T0, responseTime: T0,
  lifetimeMs: 60_000, initialAgeMs: 0, swrMs: 0, sieMs: 0, noStale: false, revalidate: false,
  vary: null, etag: null, lastModified: null, ...o,
});
const rules = (cc?: string): RequestRules => requestRules(cc ? { 'cache-control': cc } : {}, false);

describe('assess: may a stored response answer this request?', () => {
  it.each([
    ['fresh', entry(), undefined, 10_000, { usable: true, swr: false, ageMs: 10_000 }],
    ['fresh with incoming age', entry({ initialAgeMs: 55_000 }), undefined, 10_000, { usable: false, ageMs: 65_000 }],
    ['stale', entry(), undefined, 61_000, { usable: false, swr: false }],
    ['stale within swr', entry({ swrMs: 30_000 }), undefined, 80_000, { usable: false, swr: true }],
    ['stale past swr', entry({ swrMs: 30_000 }), undefined, 91_000, { usable: false, swr: false }],
    ['swr but must-revalidate', entry({ swrMs: 30_000, noStale: true }), undefined, 80_000, { swr: false }],
    ['no-cache response', entry({ revalidate: true, lifetimeMs: 0 }), undefined, 0, { usable: false, swr: false }],
    ['request no-cache', entry(), 'no-cache', 1_000, { usable: false }],
    ['request max-age=0', entry(), 'max-age=0', 1_000, { usable: false }],
    ['request max-age=5 too old', entry(), 'max-age=5', 6_000, { usable: false }],
    ['request max-age=5 young enough', entry(), 'max-age=5', 4_000, { usable: true }],
    ['request min-fresh not met', entry(), 'min-fresh=30', 40_000, { usable: false }],
    ['request min-fresh met', entry(), 'min-fresh=30', 20_000, { usable: true }],
    ['request max-stale', entry(), 'max-stale=100', 120_000, { usable: true }],
    ['request max-stale exceeded', entry(), 'max-stale=10', 120_000, { usable: false }],
    ['request bare max-stale', entry(), 'max-stale', 1e9, { usable: true }],
    ['max-stale vs must-revalidate', entry({ noStale: true }), 'max-stale', 120_000, { usable: false }],
  ])('%s', (_name, e, cc, elapsed, want) => {
    expect(assess(e, rules(cc), T0 + elapsed)).toMatchObject(want);
  });

  it('reports freshness left (negative once stale)', () => {
    expect(assess(entry(), rules(), T0 + 70_000).remainingMs).toBe(-10_000);
  });
});

describe('stale-if-error window', () => {
  it.each([
    [entry({ sieMs: 60_000 }), undefined, 100_000, true],
    [entry({ sieMs: 60_000 }), undefined, 121_000, false],
    [entry({ sieMs: 60_000, noStale: true }), undefined, 61_000, false],
    [entry({ sieMs: 0 }), 'stale-if-error=100', 100_000, true],
    [entry({ sieMs: 0 }), undefined, 61_000, false],
    [entry({ sieMs: 0 }), undefined, 30_000, true],
  ])('%#', (e, cc, elapsed, want) => {
    expect(staleIfErrorAllowed(e, rules(cc), T0 + elapsed)).toBe(want);
  });
});

describe('client conditionals answered from the cache', () => {
  const h = { etag: '"abc"', 'last-modified': 'Thu, 01 Jan 2026 00:00:00 GMT', date: 'Fri, 02 Jan 2026 00:00:00 GMT' };
  it.each([
    [{ 'if-none-match': '"abc"' }, true],
    [{ 'if-none-match': 'W/"abc"' }, true],
    [{ 'if-none-match': '"x", "abc", "y"' }, true],
    [{ 'if-none-match': '*' }, true],
    [{ 'if-none-match': '"zzz"' }, false],
    // If-None-Match wins over If-Modified-Since
    [{ 'if-none-match': '"zzz"', 'if-modified-since': 'Sat, 01 Jan 2050 00:00:00 GMT' }, false],
    [{ 'if-none-match': '"abc"', 'if-modified-since': 'Sat, 01 Jan 2000 00:00:00 GMT' }, true],
    [{ 'if-modified-since': 'Thu, 01 Jan 2026 00:00:00 GMT' }, true],
    [{ 'if-modified-since': 'Wed, 31 Dec 2025 00:00:00 GMT' }, false],
    [{ 'if-modified-since': 'garbage' }, false],
  ])('%j → 304: %s', (req, want) => {
    const c = takeConditions({ ...req });
    expect(c).not.toBeNull();
    expect(notModified(c!, 200, h)).toBe(want);
  });

  it('falls back to Date without Last-Modified, and never answers 304 for a non-200', () => {
    const c = takeConditions({ 'if-modified-since': 'Sat, 03 Jan 2026 00:00:00 GMT' })!;
    expect(notModified(c, 200, { date: h.date })).toBe(true);
    expect(notModified(c, 404, { date: h.date })).toBe(false);
  });

  it('takes the conditionals off the request headers', () => {
    const req: Record<string, string> = { 'if-none-match': '"a"', accept: '*/*' };
    takeConditions(req);
    expect(req).toEqual({ accept: '*/*' });
    expect(takeConditions({ accept: 'x' })).toBeNull();
  });

  it('revalidates with If-None-Match, and If-Modified-Since too when known', () => {
    expect(validatorHeaders('"e"', null)).toEqual({ 'if-none-match': '"e"' });
    expect(validatorHeaders(null, 'D')).toEqual({ 'if-modified-since': 'D' });
    expect(validatorHeaders('"e"', 'D')).toEqual({ 'if-none-match': '"e"', 'if-modified-since': 'D' });
    expect(validatorHeaders(null, null)).toBeNull();
  });
});

describe('keys', () => {
  it.each([
    ['', ''], ['?a=1', '?a=1'], ['?b=2&a=1', '?a=1&b=2'], ['?a=2&b=1&a=1', '?a=2&a=1&b=1'], ['?b&&a', '?a&b'],
  ])('sorts query %s → %s', (q, want) => {
    expect(sortQuery(q)).toBe(want);
  });

  it('HEAD and GET share a key; host, path, query and policy vary headers are part of it', () => {
    const k = primaryKey('h', '/p', '?b=1&a=2', { accept: 'json' }, ['accept']);
    expect(k).toBe(primaryKey('h', '/p', '?a=2&b=1', { accept: 'json' }, ['accept']));
    expect(k).not.toBe(primaryKey('h2', '/p', '?a=2&b=1', { accept: 'json' }, ['accept']));
    expect(k).not.toBe(primaryKey('h', '/p', '?a=2&b=1', { accept: 'xml' }, ['accept']));
    expect(k).not.toBe(primaryKey('h', '/p', '?a=2&b=1', {}, ['accept']));
    expect(k.startsWith('GET\n/p\nh\n?a=2&b=1\n')).toBe(true);
    expect(k).not.toContain('json');
  });

  it('never puts a credential into a key', () => {
    expect(primaryKey('h', '/p', '', { authorization: 'Bearer secret' }, ['authorization'])).not.toContain('secret');
  });

  it('selects variants by the Vary fields, normalising whitespace and repeated lines', () => {
    const p = primaryKey('h', '/p', '', {}, []);
    expect(variantKey(p, ['foo'], { foo: '1,2' })).toBe(variantKey(p, ['foo'], { foo: ' 1, 2 ' }));
    expect(variantKey(p, ['foo'], { foo: ['1', '2'] as unknown as string })).toBe(variantKey(p, ['foo'], { foo: '1, 2' }));
    expect(variantKey(p, ['foo'], {})).not.toBe(variantKey(p, ['foo'], { foo: '' }));
    expect(variantKey(p, ['a', 'b'], { a: '1', b: '2' })).toBe(variantKey(p, ['b', 'a'], { a: '1', b: '2' }));
    expect(normalizeField(undefined)).toBeUndefined();
  });

  it.each([
    ['/api/v1/assessments/*', '/api/v1/assessments/7', true],
    ['/api/v1/assessments/*', '/api/v1/assessments/7/x', false],
    ['/api/v1/assessments/*', '/api/v1/assessments', false],
    ['/docs/**', '/docs', true],
    ['/docs/**', '/docs/a/b', true],
    ['/docs/**', '/docsx', false],
    ['/**', '/anything', true],
    ['/exact', '/exact', true],
  ])('pattern %s matches %s: %s', (pattern, path, want) => {
    const m = pathPatternMatcher(pattern);
    const k = primaryKey('host:1', path, '?q=1', {}, []);
    expect(m.test(k)).toBe(want);
  });

  it('a URL matcher covers every variant and query order of that URL only', () => {
    const m = urlMatcher('h', '/p', '?b=1&a=2');
    const p = primaryKey('h', '/p', '?a=2&b=1', { accept: 'x' }, ['accept']);
    expect(m.test(p)).toBe(true);
    expect(m.test(variantKey(p, ['foo'], {}))).toBe(true);
    expect(m.test(primaryKey('h', '/p', '', {}, []))).toBe(false);
    expect(m.test(primaryKey('h', '/p2', '?a=2&b=1', {}, []))).toBe(false);
    expect(m.prefix).toBe('GET\n/p\nh\n?a=2&b=1\n');
  });

  it.each([
    ['/api/v1/assessments/*', 'GET\n/api/v1/assessments/'],
    ['/docs/**', 'GET\n/docs'],
    ['/**', 'GET\n'],
    ['/a/*/c/**', 'GET\n/a/'],
    ['/exact', 'GET\n/exact\n'],
  ])('pattern %s reads only keys under %j', (pattern, prefix) => {
    expect(pathPatternMatcher(pattern).prefix).toBe(prefix);
  });
});
