import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import { MemoryRateLimitStore } from '../../src/ratelimit/memory-store.js';
import { RedisRateLimitStore } from '../../src/ratelimit/redis-store.js';
import type { RateLimiter } from '../../src/ratelimit/limiter.js';
import type { Decision, RateLimitStore } from '../../src/ratelimit/types.js';
import { createGuardedRedis, type GuardedRedis } from '../../src/store/redis.js';
import { limiter } from './helpers.js';

/**
 * One contract, every store (STYLE §4). Windows are long enough (≥ 1 min per
 * request's worth) that the few milliseconds Redis's own clock moves between
 * calls cannot change an answer, so memory (on Date.now) and Redis (on TIME)
 * must agree exactly.
 */
const PREFIX = `sono-guard-test:${randomUUID()}:`;
let redis: GuardedRedis;

beforeAll(async () => {
  redis = createGuardedRedis({ url: 'redis://127.0.0.1:6379', timeout: 2000 });
  await new Promise<void>((resolve, reject) => {
    if (redis.client.status === 'ready') resolve();
    redis.client.once('ready', resolve);
    setTimeout(() => reject(new Error('shared Redis at 127.0.0.1:6379 not ready')), 5000).unref();
  });
});

afterAll(async () => {
  const keys = await redis.client.keys(`${PREFIX}*`);
  if (keys.length > 0) await redis.client.del(...keys);
  await redis.close();
});

const stores: Array<[string, () => RateLimitStore]> = [
  ['memory', () => new MemoryRateLimitStore()],
  ['redis', () => new RedisRateLimitStore({ guard: redis.guard, prefix: `${PREFIX}${randomUUID()}:`, onError: 'allow' })],
];

describe.each(stores)('rate-limit store contract: %s', (_name, make) => {
  const hit = async (s: RateLimitStore, ls: RateLimiter[], key = '203.0.113.1'): Promise<Decision[]> =>
    s.hit(ls, ls.map(() => key), Date.now());

  it('counts a window down to zero, then rejects with Retry-After up to full restoration', async () => {
    const s = make();
    const l = limiter('per-ip', ['5/5m']); // one request's worth = 60 s
    const ds: Decision[] = [];
    for (let i = 0; i < 6; i++) ds.push((await hit(s, [l]))[0]!);
    expect(ds.map((d) => [d.allowed, d.remaining, d.resetS])).toEqual([
      [true, 4, 60], [true, 3, 120], [true, 2, 180], [true, 1, 240], [true, 0, 300], [false, 0, 300],
    ]);
    expect(ds[5]).toMatchObject({ retryAfterS: 300, limit: 5, policy: 'per-ip', window: '5/5m', unavailable: false });
  });

  it('checks every window and reports the tightest', async () => {
    const s = make();
    const l = limiter('per-ip', ['3/3m', '4/4h']);
    const ds: Decision[] = [];
    for (let i = 0; i < 4; i++) ds.push((await hit(s, [l]))[0]!);
    expect(ds.map((d) => [d.allowed, d.window, d.remaining])).toEqual([
      [true, '3/3m', 2], [true, '3/3m', 1], [true, '3/3m', 0], [false, '3/3m', 0],
    ]);
  });

  it('charges nothing when one policy of the route rejects', async () => {
    const s = make();
    const a = limiter('a', ['10/10h']);
    const b = limiter('b', ['2/2h'], { key: { kind: 'header', name: 'x-api-key' } });
    let last: Decision[] = [];
    for (let i = 0; i < 5; i++) last = await hit(s, [a, b]);
    expect(last.map((d) => d.allowed)).toEqual([true, false]);
    expect(last[0]!.remaining).toBe(8); // a was charged for the two that passed only
  });

  it('shadow policies never block the others and are not charged past their limit', async () => {
    const s = make();
    const sh = limiter('s', ['1/1h'], { mode: 'shadow' });
    const en = limiter('e', ['3/3h']);
    const rounds: Decision[][] = [];
    for (let i = 0; i < 4; i++) rounds.push(await hit(s, [sh, en]));
    expect(rounds.map((r) => [r[0]!.allowed, r[1]!.allowed, r[1]!.remaining])).toEqual([
      [true, true, 2], [false, true, 1], [false, true, 0], [false, false, 0],
    ]);
    expect(rounds[3]![0]!.resetS).toBe(3600); // charged once only
  });

  it('keeps keys and policies apart', async () => {
    const s = make();
    const l = limiter('per-ip', ['1/1h']);
    const other = limiter('other', ['1/1h']);
    expect((await hit(s, [l], 'x'))[0]!.allowed).toBe(true);
    expect((await hit(s, [l], 'x'))[0]!.allowed).toBe(false);
    expect((await hit(s, [l], 'y'))[0]!.allowed).toBe(true);
    expect((await hit(s, [other], 'x'))[0]!.allowed).toBe(true);
  });

  it('is atomic: N concurrent hits against a limit of K let exactly K through', async () => {
    const s = make();
    const l = limiter('per-ip', ['50/50h']);
    const m = limiter('per-key', ['80/80h']);
    const all = await Promise.all(Array.from({ length: 300 }, () => hit(s, [l, m], 'burst')));
    expect(all.filter((r) => r[0]!.allowed && r[1]!.allowed)).toHaveLength(50);
    // the second policy was charged exactly for the 50 that passed
    const after = await hit(s, [m], 'burst');
    expect(after[0]!.remaining).toBe(80 - 50 - 1);
  });
});

describe('redis store specifics', () => {
  it('expires a key once every window is fully restored, and uses the configured prefix', async () => {
    const prefix = `${PREFIX}ttl:`;
    const s = new RedisRateLimitStore({ guard: redis.guard, prefix, onError: 'allow' });
    const l = limiter('per-ip', ['10/1m', '100/1h']);
    await s.hit([l], ['198.51.100.7'], 0);
    const key = `${prefix}rl:{per-ip:198.51.100.7}`;
    const ttl = await redis.client.pttl(key);
    expect(ttl).toBeGreaterThan(30_000); // 1h / 100 = 36 s of debt on the hour window
    expect(ttl).toBeLessThanOrEqual(36_001);
    expect(Object.keys(await redis.client.hgetall(key)).sort()).toEqual(['3600000', '60000']);
  });

  it('reloads the script after SCRIPT FLUSH (EVALSHA falls back to EVAL)', async () => {
    const s = new RedisRateLimitStore({ guard: redis.guard, prefix: `${PREFIX}flush:`, onError: 'deny' });
    const l = limiter('per-ip', ['5/5m']);
    expect((await s.hit([l], ['k'], 0))[0]!.unavailable).toBe(false);
    await redis.client.script('FLUSH');
    const d = (await s.hit([l], ['k'], 0))[0]!;
    expect(d).toMatchObject({ unavailable: false, allowed: true, remaining: 3 });
  });

  it('checks the requests of one event-loop turn in one script call, in arrival order, keys and policies apart', async () => {
    const s = new RedisRateLimitStore({ guard: redis.guard, prefix: `${PREFIX}batch:${randomUUID()}:`, onError: 'deny' });
    const a = limiter('per-ip', ['3/1h']);
    const b = limiter('per-key', ['2/1h']);
    const guard = redis.guard as unknown as { run: (...args: unknown[]) => Promise<unknown> };
    const original = guard.run;
    let calls = 0;
    guard.run = function (this: unknown, ...args: unknown[]) {
      calls++;
      return original.apply(this, args);
    };
    try {
      // Ten requests in one turn, interleaving two keys and a route with both policies.
      const plan: Array<[RateLimiter[], string]> = [
        [[a], 'x'], [[a], 'y'], [[a], 'x'], [[a, b], 'x'], [[a], 'x'],
        [[a], 'y'], [[b], 'x'], [[a], 'y'], [[a], 'y'], [[b], 'x'],
      ];
      const ds = await Promise.all(plan.map(([ls, k]) => s.hit(ls, ls.map(() => k), Date.now())));
      expect(calls).toBe(1);
      expect(ds.map((d) => d.map((e) => e.allowed))).toEqual([
        [true], [true], [true],
        [true, true], // a:x third, b:x first
        [false], // a:x over its 3
        [true], [true], // a:y second, b:x second
        [true], [false], // a:y third, fourth rejected
        [false], // b:x over its 2
      ]);
      expect(ds[4]![0]).toMatchObject({ remaining: 0, unavailable: false });
    } finally {
      guard.run = original;
    }
  });

  it('a full batch (64) is sent at once; the rest follow in the next call', async () => {
    const s = new RedisRateLimitStore({ guard: redis.guard, prefix: `${PREFIX}batch:${randomUUID()}:`, onError: 'deny' });
    const l = limiter('per-ip', ['100/1h']);
    const ds = await Promise.all(Array.from({ length: 150 }, () => s.hit([l], ['k'], Date.now())));
    expect(ds.filter((d) => d[0]!.allowed).length).toBe(100);
    expect(ds.slice(0, 100).every((d) => d[0]!.allowed)).toBe(true);
    expect(ds.every((d) => !d[0]!.unavailable)).toBe(true);
  });
});
