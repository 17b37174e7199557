import { describe, it, expect } from 'vitest';
import { InFlight } from '../../src/server/inflight.js';
import type { Exchange } from '../../src/pipeline/exchange.js';

const fake = (path: string) =>
  ({ method: 'GET', path, id: 'r-' + path, elapsedMs: () => 12.3, olderOpen: null, newerOpen: null }) as unknown as Exchange;
const paths = (f: InFlight) => [...f].map((x) => x.path);

describe('in-flight tracking for the drain', () => {
  it('settles at once when idle, and when the last request ends', async () => {
    const f = new InFlight();
    expect(await f.settle(10)).toBe(true);
    const a = fake('/a');
    const b = fake('/b');
    f.add(a);
    f.add(b);
    const settled = f.settle(60_000);
    f.delete(a);
    f.delete(b);
    expect(await settled).toBe(true);
  });

  it('reports false on timeout and names what is still open', async () => {
    const f = new InFlight();
    f.add(fake('/slow'));
    expect(await f.settle(5)).toBe(false);
    expect(f.describe()).toEqual(['GET /slow (request r-/slow, 12 ms)']);
  });

  it('keeps arrival order through deletes anywhere, for the request-timeout sweep', () => {
    const f = new InFlight();
    const [a, b, c, d] = ['/a', '/b', '/c', '/d'].map(fake) as [Exchange, Exchange, Exchange, Exchange];
    for (const x of [a, b, c, d]) f.add(x);
    expect(paths(f)).toEqual(['/a', '/b', '/c', '/d']);
    f.delete(b);
    expect(paths(f)).toEqual(['/a', '/c', '/d']);
    f.delete(a);
    f.delete(d);
    expect(paths(f)).toEqual(['/c']);
    f.add(a);
    expect(paths(f)).toEqual(['/c', '/a']);
    expect(f.size).toBe(2);
  });

  it('counts an exchange once, and ignores deleting one it does not hold', () => {
    const f = new InFlight();
    const a = fake('/a');
    const b = fake('/b');
    f.add(a);
    f.add(a);
    f.delete(b);
    expect(f.size).toBe(1);
    f.delete(a);
    f.delete(a);
    expect(f.size).toBe(0);
    expect(paths(f)).toEqual([]);
  });

  it('lets go of a deleted exchange: no link to it or from it remains', () => {
    const f = new InFlight();
    const [a, b, c] = ['/a', '/b', '/c'].map(fake) as [Exchange, Exchange, Exchange];
    for (const x of [a, b, c]) f.add(x);
    f.delete(b);
    expect(b.olderOpen).toBeNull();
    expect(b.newerOpen).toBeNull();
    expect(a.newerOpen).toBe(c);
    expect(c.olderOpen).toBe(a);
  });

  it('may delete the exchange it is visiting while iterating', () => {
    const f = new InFlight();
    const xs = ['/a', '/b', '/c'].map(fake);
    for (const x of xs) f.add(x);
    const seen: string[] = [];
    for (const x of f) {
      seen.push(x.path);
      f.delete(x);
    }
    expect(seen).toEqual(['/a', '/b', '/c']);
    expect(f.size).toBe(0);
  });
});
