import { describe, it, expect } from 'vitest';
import { Metrics } from '../../src/observability/metrics.js';
import { RateLimiter } from '../../src/ratelimit/limiter.js';
import { MemoryRateLimitStore } from '../../src/ratelimit/memory-store.js';
import { KeyTable } from '../../src/ratelimit/key-table.js';
import { lim } from './helpers.js';

const store = new MemoryRateLimitStore();

function setup(maxKeys: number) {
  const metrics = new Metrics({ defaultMetrics: false });
  const l = new RateLimiter('per-ip', { key: { kind: 'ip' }, limits: [lim('10/10s')], mode: 'enforce', max_keys: maxKeys }, { metrics });
  const hit = (key: string, t: number, times = 1) => {
    let d;
    for (let i = 0; i < times; i++) d = store.hit([l], [key], t)[0]!;
    return d!;
  };
  const evicted = async () => (await metrics.rateLimitEvictions.get()).values.find((v) => v.labels.policy === 'per-ip')?.value ?? 0;
  return { l, hit, evicted };
}

describe('bounded key table', () => {
  it('evicts keys whose buckets are full before partly used ones, and counts it', async () => {
    const { l, hit, evicted } = setup(3);
    hit('heavy', 0, 5); // full again at t=5000 (T = 1 s)
    hit('b', 0); // full at 1000
    hit('c', 0); // full at 1000
    expect(l.table.size).toBe(3);
    hit('d', 2000); // b and c are full: one of them goes, not the least recently used "heavy"
    expect(l.table.slotOf('heavy')).toBeGreaterThanOrEqual(0);
    expect([l.table.slotOf('b'), l.table.slotOf('c')].filter((s) => s < 0)).toHaveLength(1);
    hit('e', 2500); // the other full one goes
    expect(l.table.slotOf('b')).toBe(-1);
    expect(l.table.slotOf('c')).toBe(-1);
    expect(l.table.size).toBe(3);
    expect(await evicted()).toBe(2);
    expect(l.snapshot()).toMatchObject({ keys: 3, max_keys: 3, evictions: 2 });
  });

  it('when no bucket is full, evicts the one nearest to full — never the throttled key', () => {
    const { l, hit } = setup(3);
    const throttled = hit('attacker', 0, 11);
    expect(throttled.allowed).toBe(false);
    // spraying fresh keys cannot push the throttled key out (LRU would, resetting its budget)
    for (let i = 0; i < 1000; i++) hit(`spray-${i}`, 1 + i / 1000);
    expect(l.table.slotOf('attacker')).toBeGreaterThanOrEqual(0);
    expect(hit('attacker', 2).allowed).toBe(false);
    expect(l.table.evictions).toBe(998);
  });

  it('keeps the state of surviving keys intact through evictions and growth', () => {
    const { l, hit } = setup(5000);
    for (let i = 0; i < 3000; i++) hit(`k${i}`, 0, (i % 7) + 1);
    for (let i = 0; i < 3000; i++) {
      const d = store.hit([l], [`k${i}`], 0)[0]!;
      expect(d.remaining).toBe(10 - ((i % 7) + 2));
    }
    expect(l.table.evictions).toBe(0);
  });

  it('heap order survives random updates (the root is always the earliest full time)', () => {
    const t = new KeyTable(1, 200);
    const fullAt = new Map<string, number>();
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 5000; i++) {
      const key = `k${Math.floor(rnd() * 400)}`;
      const slot = t.slotOf(key);
      const prev = slot >= 0 ? t.tatAt(slot, 0) : 0;
      const next = prev + rnd() * 100;
      if (slot < 0 && t.size === 200) {
        // the victim must be a key with the smallest fullAt
        const min = Math.min(...fullAt.values());
        t.write(key, slot, [next], 0);
        const gone = [...fullAt.keys()].filter((k) => t.slotOf(k) < 0);
        expect(gone).toHaveLength(1);
        expect(fullAt.get(gone[0]!)).toBe(min);
        fullAt.delete(gone[0]!);
      } else {
        t.write(key, slot, [next], 0);
      }
      fullAt.set(key, next);
    }
  });
});
