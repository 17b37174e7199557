import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { normalizeField, primaryKey, variantKey } from '../../src/cache/key.js';

const sha1 = (s: string) => createHash('sha1').update(s).digest('base64url');

describe('cache keys: the selecting-header digest', () => {
  it('is the SHA-1 of the normalised fields, the same on every lookup of the same values', () => {
    const h = { accept: 'application/json' };
    const first = primaryKey('h', '/a', '', h, ['accept']);
    expect(first).toBe(`GET\n/a\nh\n\n${sha1('accept=application/json\u0000')}`);
    expect(primaryKey('h', '/a', '', { accept: 'application/json' }, ['accept'])).toBe(first);
    expect(primaryKey('h', '/a', '', { accept: 'text/html' }, ['accept'])).not.toBe(first);
    expect(primaryKey('h', '/a', '', {}, ['accept'])).toBe(`GET\n/a\nh\n\n${sha1('accept\u0000')}`);
  });

  it('stays exact past the bound on remembered digests', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 2500; i++) keys.add(primaryKey('h', '/a', '', { accept: `type/${i}` }, ['accept']));
    expect(keys.size).toBe(2500);
    expect(primaryKey('h', '/a', '', { accept: 'type/7' }, ['accept'])).toBe(`GET\n/a\nh\n\n${sha1('accept=type/7\u0000')}`);
  });

  it('hashes credentials and long values too (never a raw value in a key)', () => {
    const secret = 'Bearer abc.def.ghi';
    const k = variantKey('GET\n/a\nh\n\n', ['authorization', 'accept'], { authorization: secret, accept: '*/*' });
    expect(k).not.toContain('Bearer');
    expect(k).toBe(`GET\n/a\nh\n\n\n${sha1(`accept=*/*\u0000authorization=${secret}\u0000`)}`);
    const long = 'x'.repeat(300);
    expect(primaryKey('h', '/a', '', { accept: long }, ['accept'])).toBe(`GET\n/a\nh\n\n${sha1(`accept=${long}\u0000`)}`);
  });

  it('normalises repeated lines and whitespace around commas, one value or many', () => {
    expect(normalizeField(' gzip ')).toBe('gzip');
    expect(normalizeField('gzip , br')).toBe('gzip,br');
    expect(normalizeField(['gzip', ' br'])).toBe('gzip,br');
    expect(normalizeField(undefined)).toBeUndefined();
    expect(normalizeField('')).toBe('');
  });
});
