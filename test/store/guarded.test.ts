import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { once } from 'node:events';
import pino from 'pino';
import { Metrics } from '../../src/observability/metrics.js';
import { StoreGuard } from '../../src/store/guarded.js';
import { createGuardedRedis, type GuardedRedis } from '../../src/store/redis.js';
import { freePort, startRedisServer, type RedisServer } from './redis-server.js';

function capture() {
  const lines: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
}

async function storeErrors(m: Metrics): Promise<number> {
  return (await m.storeErrors.get()).values.find((v) => v.labels.store === 'redis')?.value ?? 0;
}

async function ready(r: GuardedRedis): Promise<void> {
  if (r.client.status !== 'ready') await once(r.client, 'ready');
}

describe('StoreGuard against a real redis-server', () => {
  let server: RedisServer;
  let r: GuardedRedis;
  let clock: number;
  let metrics: Metrics;
  let log: ReturnType<typeof capture>;
  let events: string[];

  beforeEach(async () => {
    server = await startRedisServer();
    clock = 1_000_000;
    metrics = new Metrics({ defaultMetrics: false });
    log = capture();
    r = createGuardedRedis({ url: server.url, timeout: 100 }, { metrics, logger: log.logger, guard: { now: () => clock, openMs: 500, probe: null } });
    events = [];
    r.guard.on('degraded', () => events.push('degraded'));
    r.guard.on('recovered', () => events.push('recovered'));
    await ready(r);
  });

  afterEach(async () => {
    server.resume();
    await r.close();
    await server.stop();
  });

  it('passes calls through while Redis is healthy', async () => {
    expect(await r.guard.run((c) => c.ping(), () => 'fallback')).toBe('PONG');
    expect(r.guard.health()).toBe('operational');
    expect(events).toEqual([]);
  });

  it('falls back from the first call after Redis dies, degrades, and recovers when it returns', async () => {
    await server.kill();
    expect(await r.guard.run((c) => c.ping(), () => 'fallback')).toBe('fallback');
    if (events.length === 0) await once(r.guard, 'degraded');
    expect(r.guard.health()).toBe('degraded');
    // open: nothing reaches the client
    let calls = 0;
    for (let i = 0; i < 20; i++) {
      expect(await r.guard.run(async (c) => { calls++; return c.ping(); }, () => 'fallback')).toBe('fallback');
    }
    expect(calls).toBe(0);

    await server.restart();
    await once(r.client, 'ready'); // reconnect lets the next call probe at once
    expect(await r.guard.run((c) => c.ping(), () => 'fallback')).toBe('PONG');
    expect(r.guard.health()).toBe('operational');
    expect(events).toEqual(['degraded', 'recovered']);
    expect(log.lines.filter((l) => /degraded/.test(l.msg))).toHaveLength(1);
    expect(log.lines.filter((l) => /recovered/.test(l.msg))).toHaveLength(1);
  });

  it('a hung (SIGSTOPped) Redis costs the timeout a few times, then nothing until a probe succeeds', async () => {
    server.pause();
    let calls = 0;
    const op = async (c: GuardedRedis['client']) => { calls++; return c.ping(); };
    // three consecutive timeouts open the breaker
    for (let i = 0; i < 3; i++) expect(await r.guard.run(op, () => 'fallback')).toBe('fallback');
    expect(calls).toBe(3);
    expect(r.guard.health()).toBe('degraded');
    expect(await storeErrors(metrics)).toBe(3);
    // while open, later calls do not wait on Redis at all
    for (let i = 0; i < 50; i++) expect(await r.guard.run(op, () => 'fallback')).toBe('fallback');
    expect(calls).toBe(3);

    // still hung at the first probe: it fails and the pause grows
    clock += 500;
    expect(await r.guard.run(op, () => 'fallback')).toBe('fallback');
    expect(calls).toBe(4);
    clock += 500; // next probe needs 1000 now
    expect(await r.guard.run(op, () => 'fallback')).toBe('fallback');
    expect(calls).toBe(4);

    server.resume();
    clock += 500;
    expect(await r.guard.run(op, () => 'fallback')).toBe('PONG');
    expect(r.guard.health()).toBe('operational');
    expect(events).toEqual(['degraded', 'recovered']);
    expect(r.guard.snapshot()).toMatchObject({ health: 'operational', state: 'closed', consecutive_failures: 0, errors_total: 4 });
  });
});

describe('StoreGuard when Redis is unreachable at start', () => {
  it('starts without an unhandled error, reports degraded and answers with the fallback', async () => {
    const port = await freePort(); // nothing listens there
    const { logger, lines } = capture();
    const r = createGuardedRedis({ url: `redis://127.0.0.1:${port}`, timeout: 100 }, { logger });
    try {
      if (r.guard.health() === 'operational') await once(r.guard, 'degraded');
      let calls = 0;
      expect(await r.guard.run(async (c) => { calls++; return c.ping(); }, () => 'local')).toBe('local');
      expect(calls).toBe(0);
      expect(lines.filter((l) => l.level === 40 && /degraded/.test(l.msg))).toHaveLength(1);

      // Redis appears: the guard's own PING brings it back with no request needed
      const server = await startRedisServer(port);
      try {
        if (r.guard.health() === 'degraded') await once(r.guard, 'recovered');
        expect(r.guard.health()).toBe('operational');
        expect(lines.filter((l) => l.level === 30 && /recovered/.test(l.msg))).toHaveLength(1);
      } finally {
        await server.stop();
      }
    } finally {
      await r.close();
    }
  });
});

describe('StoreGuard with a fake client', () => {
  it('times out a call that never settles and ignores its late outcome', async () => {
    const g = new StoreGuard({}, { timeoutMs: 50 });
    let settle: (v: string) => void = () => {};
    const p = g.run(() => new Promise<string>((res) => { settle = res; }), () => 'fallback');
    expect(await p).toBe('fallback');
    settle('late');
    expect(g.snapshot().consecutive_failures).toBe(1);
    expect(g.snapshot().last_error).toMatch(/timed out after 50 ms/);
  });

  it('treats a synchronous throw as a failure and supports async fallbacks', async () => {
    const g = new StoreGuard({}, { failureThreshold: 2 });
    const boom = () => { throw new Error('boom'); };
    expect(await g.run(boom, async () => 'a')).toBe('a');
    expect(g.health()).toBe('operational');
    expect(await g.run(boom, () => 'b')).toBe('b');
    expect(g.health()).toBe('degraded');
  });

  it('clamps the timeout to at least 50 ms', () => {
    expect(new StoreGuard({}, { timeoutMs: 5 }).timeoutMs).toBe(50);
  });

  it('lets only one probe through while half-open', async () => {
    let t = 0;
    const g = new StoreGuard({}, { failureThreshold: 1, openMs: 100, now: () => t });
    await g.run(() => Promise.reject(new Error('down')), () => 0);
    t = 100;
    let release: (v: number) => void = () => {};
    let calls = 0;
    const probe = g.run(() => { calls++; return new Promise<number>((res) => { release = res; }); }, () => -1);
    const others = await Promise.all(Array.from({ length: 5 }, () => g.run(async () => { calls++; return 1; }, () => -1)));
    expect(others).toEqual([-1, -1, -1, -1, -1]);
    release(7);
    expect(await probe).toBe(7);
    expect(calls).toBe(1);
    expect(g.health()).toBe('operational');
  });

  it('probes in the background even when its timer fires before the wall clock says the pause is over', async () => {
    // Timers run on the monotonic clock; `now` is the wall clock, here behind it.
    let clock = 0;
    const g = new StoreGuard({}, { failureThreshold: 1, openMs: 100, now: () => clock, probe: async () => 'PONG' });
    await g.run(() => Promise.reject(new Error('down')), () => 0);
    expect(g.health()).toBe('degraded');
    await new Promise((r) => setTimeout(r, 150)); // the probe timer has fired: for `now`, the pause is not over
    expect(g.health()).toBe('degraded');
    clock = 100;
    const deadline = Date.now() + 2000;
    while (g.health() !== 'operational' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(g.health()).toBe('operational'); // probed without any request coming by
    g.close();
  });
});
