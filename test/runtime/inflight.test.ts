import { describe, it, expect } from 'vitest';
import { InFlight } from '../../src/server/inflight.js';
import type { Exchange } from '../../src/pipeline/exchange.js';

const fake = (path: string) => ({ method: 'GET', path, id: 'r-' + path, elapsedMs: () => 12.3 }) as unknown as Exchange;

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
});
