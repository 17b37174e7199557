import { describe, it, expect } from 'vitest';
import { MemoryRateLimitStore } from '../../src/ratelimit/memory-store.js';
import type { RateLimiter } from '../../src/ratelimit/limiter.js';
import { limiter } from './helpers.js';

const store = new MemoryRateLimitStore();
const T0 = 1_700_000_000_000; // an epoch-ms "now", so float rounding matches production magnitudes

function hitAt(ls: RateLimiter[], t: number, key = '1.2.3.4') {
  return store.hit(ls, ls.map(() => key), T0 + t);
}

describe('GCRA window (memory store, injected clock)', () => {
  it('allows a full burst of the limit, counts down, then rejects', () => {
    const l = limiter('per-ip', ['60/1m']);
    const seen = Array.from({ length: 61 }, () => hitAt([l], 0)[0]!);
    expect(seen.slice(0, 60).every((d) => d.allowed)).toBe(true);
    expect(seen.slice(0, 60).map((d) => d.remaining)).toEqual(Array.from({ length: 60 }, (_, i) => 59 - i));
    expect(seen[0]!.resetS).toBe(1); // one request's worth to pay back
    expect(seen[59]!.resetS).toBe(60);
    const rejected = seen[60]!;
    expect(rejected).toMatchObject({ allowed: false, remaining: 0, limit: 60, resetS: 60, retryAfterS: 60, policy: 'per-ip' });
  });

  it.each([
    // [ms after a full burst at t=0, requests allowed then]
    [0, 0],
    [999, 0],
    [1000, 1], // one request comes back every 60s/60
    [2500, 2],
    [30_000, 30],
    [60_000, 60], // fully restored: a fresh key
    [3_600_000, 60], // never more than the limit
  ])('after a burst, %i ms later %i more are allowed', (later, expected) => {
    const l = limiter('per-ip', ['60/1m']);
    for (let i = 0; i < 60; i++) hitAt([l], 0);
    let allowed = 0;
    for (let i = 0; i < 100; i++) if (hitAt([l], later)[0]!.allowed) allowed++;
    expect(allowed).toBe(expected);
  });

  it('does not let twice the limit through across a fixed-window boundary', () => {
    const l = limiter('per-ip', ['60/1m']);
    // the classic attack on a fixed window: a full burst just before the boundary, another just after
    let allowed = 0;
    for (let i = 0; i < 60; i++) if (hitAt([l], 59_900)[0]!.allowed) allowed++;
    for (let i = 0; i < 60; i++) if (hitAt([l], 60_100)[0]!.allowed) allowed++;
    expect(allowed).toBe(60);
  });

  it('bounds any interval of length d by limit + d·limit/window under constant hammering', () => {
    const l = limiter('per-ip', ['60/1m']);
    const times: number[] = [];
    for (let t = 0; t < 600_000; t += 50) if (hitAt([l], t)[0]!.allowed) times.push(t);
    expect(times.length).toBe(60 + 600 - 1); // the burst, then exactly the rate
    for (const d of [2_000, 10_000, 60_000]) {
      let worst = 0;
      for (let i = 0, j = 0; i < times.length; i++) {
        while (times[i]! - times[j]! >= d) j++;
        worst = Math.max(worst, i - j + 1);
      }
      expect(worst).toBeLessThanOrEqual(60 + Math.ceil((d * 60) / 60_000));
    }
  });

  it('applies every window: the tighter one binds and is the one reported', () => {
    const l = limiter('per-ip', ['1000/1h', '5/1m']); // given longest first; sorted internally
    const ds = Array.from({ length: 6 }, () => hitAt([l], 0)[0]!);
    expect(ds.map((d) => d.allowed)).toEqual([true, true, true, true, true, false]);
    expect(ds[0]).toMatchObject({ limit: 5, remaining: 4, window: '5/1m', item: 'per-ip' });
    expect(ds[5]).toMatchObject({ limit: 5, remaining: 0, retryAfterS: 60, window: '5/1m' });
    // after the minute window refills, the hour window has only been charged 5 times
    for (let i = 0; i < 5; i++) expect(hitAt([l], 60_000)[0]!.allowed).toBe(true);
  });

  it('reports the window with the least remaining, shortest on ties', () => {
    const l = limiter('p', ['10/1m', '10/1h']);
    const d = hitAt([l], 0)[0]!;
    expect(d.remaining).toBe(9);
    expect(d.window).toBe('10/1m'); // tie at 9: the shorter window
    const h = limiter('q', ['100/1m', '3/1h']);
    expect(hitAt([h], 0)[0]).toMatchObject({ window: '3/1h', remaining: 2, resetS: 1200, item: 'q-1h' });
  });

  it('does not charge a window when another window of the policy rejects', () => {
    const l = limiter('per-ip', ['2/1s', '10/1h']);
    for (let i = 0; i < 2; i++) expect(hitAt([l], 0)[0]!.allowed).toBe(true);
    for (let i = 0; i < 20; i++) expect(hitAt([l], 0)[0]!.allowed).toBe(false);
    // the hour window (index 1) holds exactly two requests' worth of debt: 2 × 6 min
    const slot = l.table.slotOf('1.2.3.4');
    expect(l.table.tatAt(slot, 1) - T0).toBe(2 * 360_000);
    // so 8 more fit in the hour, 2 per second
    let allowed = 0;
    for (let s = 1; s <= 10; s++) for (let i = 0; i < 3; i++) if (hitAt([l], s * 1000)[0]!.allowed) allowed++;
    expect(allowed).toBe(8);
  });

  it('does not charge a policy when another policy of the route rejects', () => {
    const wide = limiter('wide', ['10/1h']);
    const narrow = limiter('narrow', ['2/1h'], { key: { kind: 'header', name: 'x-api-key' } });
    const results = Array.from({ length: 5 }, () => hitAt([wide, narrow], 0));
    expect(results.map((r) => r[1]!.allowed)).toEqual([true, true, false, false, false]);
    expect(results.map((r) => r[0]!.allowed)).toEqual([true, true, true, true, true]); // wide itself allows…
    expect(results[4]![0]!.remaining).toBe(8); // …but was charged only for the 2 that went through
  });

  it('shadow policies count but neither block the others nor get charged past their limit', () => {
    const shadow = limiter('s', ['1/1h'], { mode: 'shadow' });
    const enforce = limiter('e', ['3/1h']);
    const r = Array.from({ length: 4 }, () => hitAt([shadow, enforce], 0));
    expect(r.map((x) => x[0]!.allowed)).toEqual([true, false, false, false]); // would reject from the 2nd
    expect(r.map((x) => x[1]!.allowed)).toEqual([true, true, true, false]); // enforced one still charged
    expect(r.map((x) => x[1]!.remaining)).toEqual([2, 1, 0, 0]);
  });

  it('keeps keys apart', () => {
    const l = limiter('per-ip', ['1/1h']);
    expect(hitAt([l], 0, 'a')[0]!.allowed).toBe(true);
    expect(hitAt([l], 0, 'a')[0]!.allowed).toBe(false);
    expect(hitAt([l], 0, 'b')[0]!.allowed).toBe(true);
  });

  it('never reports negative numbers, even when the clock goes backwards', () => {
    const l = limiter('per-ip', ['2/1s']);
    hitAt([l], 10_000);
    hitAt([l], 10_000);
    const d = hitAt([l], 0)[0]!; // clock stepped back 10 s
    expect(d.allowed).toBe(false);
    expect(d.remaining).toBeGreaterThanOrEqual(0);
    expect(d.resetS).toBeGreaterThanOrEqual(0);
    expect(d.retryAfterS).toBeGreaterThanOrEqual(1);
  });
});
