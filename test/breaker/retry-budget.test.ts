import { describe, it, expect } from 'vitest';
import { RetryBudget } from '../../src/breaker/retry-budget.js';
import { FakeClock } from './helpers.js';

function withdrawAll(b: RetryBudget, max = 10_000): number {
  let n = 0;
  while (n < max && b.tryWithdraw()) n++;
  return n;
}

describe('RetryBudget', () => {
  it('always allows the reserve of 3 retries per second over 10 s', () => {
    const clock = new FakeClock();
    const b = new RetryBudget({ ratio: 0.2, clock: clock.now });
    expect(withdrawAll(b)).toBe(30);
    expect(b.tryWithdraw()).toBe(false);
  });

  it('allows `ratio` of the requests of the window on top of the reserve', () => {
    const clock = new FakeClock();
    const b = new RetryBudget({ ratio: 0.2, clock: clock.now });
    for (let i = 0; i < 1000; i++) b.recordRequest();
    expect(withdrawAll(b)).toBe(230);
    b.recordRequest();
    b.recordRequest();
    b.recordRequest();
    b.recordRequest();
    b.recordRequest();
    expect(withdrawAll(b)).toBe(1); // 5 more requests earn one more retry
    expect(b.snapshot()).toEqual({ requests: 1005, retries: 231, remaining: 0 });
  });

  it('forgets requests and retries older than the window', () => {
    const clock = new FakeClock();
    const b = new RetryBudget({ ratio: 0.5, minPerSecond: 0, clock: clock.now });
    for (let i = 0; i < 100; i++) b.recordRequest();
    expect(withdrawAll(b)).toBe(50);
    clock.advance(5_000);
    for (let i = 0; i < 10; i++) b.recordRequest();
    expect(withdrawAll(b)).toBe(5);
    clock.advance(5_000); // the first 100 requests and 50 retries leave the window
    expect(b.snapshot()).toEqual({ requests: 10, retries: 5, remaining: 0 });
    clock.advance(5_000);
    expect(b.snapshot()).toEqual({ requests: 0, retries: 0, remaining: 0 });
    clock.advance(60_000);
    b.recordRequest();
    b.recordRequest();
    expect(withdrawAll(b)).toBe(1);
  });

  it('cannot be drained by a retry storm: retries stay within budget at any traffic', () => {
    const clock = new FakeClock();
    const b = new RetryBudget({ ratio: 0.2, clock: clock.now });
    let requests = 0;
    let retries = 0;
    // 60 s of 500 req/s, every request wanting 3 retries.
    for (let ms = 0; ms < 60_000; ms += 2) {
      clock.advance(2);
      b.recordRequest();
      requests++;
      for (let k = 0; k < 3; k++) if (b.tryWithdraw()) retries++;
    }
    // Unbudgeted this would be 3 × requests; the 1 s buckets make the window
    // slide in steps, so allow one extra reserve over the 6 windows.
    expect(retries).toBeLessThanOrEqual(0.2 * requests + 30 * 7);
    expect(retries).toBeGreaterThan(0.19 * requests);
  });
});
