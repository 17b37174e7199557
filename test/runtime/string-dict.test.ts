import { describe, it, expect } from 'vitest';
import { StringDict } from '../../src/runtime/string-dict.js';

describe('StringDict', () => {
  it('sets, reads, counts and deletes like a Map of strings', () => {
    const d = new StringDict<number>();
    d.set('GET\n/a', 1);
    d.set('GET\n/b', 2);
    d.set('GET\n/a', 3);
    expect(d.size).toBe(2);
    expect(d.get('GET\n/a')).toBe(3);
    expect(d.has('GET\n/b')).toBe(true);
    expect(d.delete('GET\n/b')).toBe(true);
    expect(d.delete('GET\n/b')).toBe(false);
    expect(d.has('GET\n/b')).toBe(false);
    expect(d.get('GET\n/b')).toBeUndefined();
    expect(d.size).toBe(1);
    d.clear();
    expect(d.size).toBe(0);
    expect(d.get('GET\n/a')).toBeUndefined();
  });

  it('has no inherited keys, and takes any string as a key', () => {
    const d = new StringDict<string>();
    expect(d.has('toString')).toBe(false);
    expect(d.get('constructor')).toBeUndefined();
    for (const k of ['__proto__', '0', '', 'hasOwnProperty']) d.set(k, `v${k}`);
    expect(d.size).toBe(4);
    expect(d.get('__proto__')).toBe('v__proto__');
    expect(d.get('0')).toBe('v0');
    expect(d.delete('__proto__')).toBe(true);
    expect(d.size).toBe(3);
  });
});
