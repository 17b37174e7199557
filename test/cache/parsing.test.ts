import { describe, it, expect } from 'vitest';
import { deltaSeconds, fieldNames, parseCacheControl } from '../../src/cache/cache-control.js';
import { formatHttpDate, parseHttpDate } from '../../src/cache/http-date.js';
import { parseDictionary } from '../../src/cache/structured-field.js';

describe('Cache-Control parsing', () => {
  it.each([
    ['max-age=3600', 'max-age', 3600],
    ['MaX-AgE=3600', 'max-age', 3600],
    ['max-age="3600"', 'max-age', 3600],
    ['max-age=003600', 'max-age', 3600],
    ['max-age=0', 'max-age', 0],
    ['foobar, max-age=60', 'max-age', 60],
    ['max-age=1800, max-age=1', 'max-age', 1800],
    ['max-age=99999999999', 'max-age', 2147483648],
    ['extension="max-age=100", max-age=1', 'max-age', 1],
    ['max-age=1, extension="max-age=100"', 'max-age', 1],
    ['extension="a, max-age=100", max-age=1', 'max-age', 1],
    ['max-age=a100', 'max-age', null],
    ['max-age=100a', 'max-age', null],
    ['max-age=-100', 'max-age', null],
    ["max-age='3600'", 'max-age', null],
    ['max-age= 100', 'max-age', null],
    ['max-age=3600.5', 'max-age', null],
    ['max-age =100', 'max-age', undefined],
    ['no-cache', 'max-age', undefined],
    ['s-maxage=10, max-age=5', 's-maxage', 10],
  ])('%s → %s = %s', (header, name, want) => {
    expect(deltaSeconds(parseCacheControl(header), name)).toBe(want);
  });

  it('joins repeated header lines', () => {
    const d = parseCacheControl(['no-cache="a"', 'max-age=3600']);
    expect(deltaSeconds(d, 'max-age')).toBe(3600);
    expect(fieldNames(d.get('no-cache'))).toEqual(['a']);
  });

  it.each([
    ['no-cache', null],
    ['no-cache="a, B"', ['a', 'b']],
    ['private="set-cookie"', ['set-cookie']],
    ['no-cache=""', null],
  ])('field names of %s', (header, want) => {
    const d = parseCacheControl(header);
    const [first] = [...d.values()];
    expect(fieldNames(first)).toEqual(want);
  });

  it('keeps bare directives as true and is case-insensitive', () => {
    const d = parseCacheControl('No-StOrE, PRIVATE');
    expect(d.get('no-store')).toBe(true);
    expect(d.get('private')).toBe(true);
  });
});

describe('HTTP-date', () => {
  const t = Date.UTC(2050, 7, 18, 2, 1, 18);
  it.each([
    ['Thu, 18 Aug 2050 02:01:18 GMT', t],
    ['THU, 18 AUG 2050 02:01:18 gMT', t],
    ['Thursday, 18-Aug-50 02:01:18 GMT', t],
    ['Thu Aug 18 02:01:18 2050', t],
    ['Thu, 18 Aug 2050 02:01:18 UTC', NaN],
    ['Thu, 18 Aug 50 02:01:18 GMT', NaN],
    ['Thu 18 Aug 2050 02:01:18 GMT', NaN],
    ['Thu, 18  Aug  2050 02:01:18 GMT', NaN],
    ['Thu, 18-Aug-2050 02:01:18 GMT', NaN],
    ['Thu, 18 Aug 2050 02.01.18 GMT', NaN],
    ['Thu, 18 Aug 2050 2:01:18 GMT', NaN],
    ['Thu, 31 Feb 2050 02:01:18 GMT', NaN],
    ['0', NaN],
    ['-1', NaN],
  ])('%s', (v, want) => {
    expect(parseHttpDate(v)).toBe(want);
  });

  it('formats IMF-fixdate and parses it back', () => {
    const s = formatHttpDate(t);
    expect(s).toBe('Thu, 18 Aug 2050 02:01:18 GMT');
    expect(parseHttpDate(s)).toBe(t);
  });
});

describe('Structured Field dictionary (CDN-Cache-Control)', () => {
  it.each([
    ['max-age=3600', { 'max-age': 3600 }],
    ['foobar, max-age=3600', { foobar: true, 'max-age': 3600 }],
    ['no-store', { 'no-store': true }],
    ['max-age=60;x=1, private', { 'max-age': 60, private: true }],
    ['a=(1 2);p, b="s"', { a: 'inner-list', b: 's' }],
    ['max-age=2147483648', { 'max-age': 2147483648 }],
  ])('%s parses', (field, want) => {
    const d = parseDictionary(field);
    expect(d).not.toBeNull();
    const got: Record<string, unknown> = {};
    for (const [k, v] of d!) got[k] = v.type === 'inner-list' ? 'inner-list' : v.value;
    expect(got).toEqual(want);
  });

  it.each(['max-age =100', 'max-age= 100', 'MaX-aGe=3600', 'max-age=10000, &&&&&', 'a,', 'a="unterminated', 'a=1.2345'])(
    '%s is not a Dictionary',
    (field) => {
      expect(parseDictionary(field)).toBeNull();
    },
  );
});
