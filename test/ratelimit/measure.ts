/**
 * Rate-limit micro-measurements (not a test; numbers vary by machine):
 *   node --expose-gc --import tsx test/ratelimit/measure.ts [heap|memory|redis|all]
 *
 * heap    heap and RSS growth for 1,000,000 distinct client IPs (max_keys 1M),
 *         next to rate-limiter-flexible's RateLimiterMemory for the same keys
 * memory  CPU per hit of the memory store, and per request through the stage
 * redis   CPU per hit and throughput of the Redis store against 127.0.0.1:6379
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { Exchange } from '../../src/pipeline/exchange.js';
import { rateLimit } from '../../src/pipeline/stages/rate-limit.js';
import type { Reply } from '../../src/pipeline/types.js';
import { Metrics } from '../../src/observability/metrics.js';
import { MemoryRateLimitStore } from '../../src/ratelimit/memory-store.js';
import { RedisRateLimitStore } from '../../src/ratelimit/redis-store.js';
import { createGuardedRedis } from '../../src/store/redis.js';
import { limiter } from './helpers.js';

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const MiB = (n: number) => (n / 1048576).toFixed(1);
const ip = (i: number) => `${10 + (i >>> 24)}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;

function cpuUs(fn: () => void): number {
  const c = process.cpuUsage();
  fn();
  const d = process.cpuUsage(c);
  return d.user + d.system;
}

/** CPU µs for `n` calls of an async handler, 1000 at a time, including their continuations. */
async function cpuUsAsync(n: number, call: (i: number) => Promise<unknown>): Promise<number> {
  const c = process.cpuUsage();
  for (let i = 0; i < n; i += 1000) {
    const batch: Promise<unknown>[] = [];
    for (let j = i; j < i + 1000; j++) batch.push(call(j));
    await Promise.all(batch);
  }
  const d = process.cpuUsage(c);
  return d.user + d.system;
}

async function heap(): Promise<void> {
  const N = 1_000_000;
  const keys = Array.from({ length: N }, (_, i) => ip(i)); // the key strings exist either way (they come from sockets)
  gc(); gc();
  const before = process.memoryUsage();
  const l = limiter('per-ip', ['60/1m', '1000/1h'], { maxKeys: N });
  const store = new MemoryRateLimitStore();
  const t = Date.now();
  for (let i = 0; i < N; i++) store.hit([l], [keys[i]!], t);
  gc(); gc();
  const after = process.memoryUsage();
  console.log(`sono-guard memory store, ${N} keys, 2 windows: heap +${MiB(after.heapUsed - before.heapUsed)} MiB ` +
    `(${((after.heapUsed - before.heapUsed) / N).toFixed(0)} B/key), external +${MiB(after.arrayBuffers - before.arrayBuffers)} MiB, ` +
    `RSS +${MiB(after.rss - before.rss)} MiB (RSS ${MiB(after.rss)} MiB); keys tracked ${l.table.size}`);
  // one more million: the bound holds, evictions counted
  for (let i = 0; i < N; i++) store.hit([l], [`x${keys[i]!}`], t + 120_000);
  gc(); gc();
  const bound = process.memoryUsage();
  console.log(`  after 1M more distinct keys: heap ${MiB(bound.heapUsed)} MiB (+${MiB(bound.heapUsed - after.heapUsed)}), keys ${l.table.size}, evictions ${l.table.evictions}`);
  l.close();
  gc(); gc();
  const rlf = new RateLimiterMemory({ points: 60, duration: 60 });
  const b2 = process.memoryUsage();
  for (let i = 0; i < N; i++) await rlf.consume(keys[i]!).catch(() => {});
  gc(); gc();
  const a2 = process.memoryUsage();
  console.log(`rate-limiter-flexible RateLimiterMemory, same ${N} keys, 1 window: heap +${MiB(a2.heapUsed - b2.heapUsed)} MiB ` +
    `(${((a2.heapUsed - b2.heapUsed) / N).toFixed(0)} B/key)`);
}

async function memory(): Promise<void> {
  const l = limiter('per-ip', ['60/1m', '1000/1h'], { maxKeys: 100_000 });
  const store = new MemoryRateLimitStore();
  const keys = Array.from({ length: 10_000 }, (_, i) => ip(i * 7919));
  const N = 2_000_000;
  let t = Date.now();
  for (let i = 0; i < 200_000; i++) store.hit([l], [keys[i % keys.length]!], t + i); // warm up
  const us = cpuUs(() => { for (let i = 0; i < N; i++) store.hit([l], [keys[i % keys.length]!], (t += 0.05)); });
  console.log(`memory store hit (2 windows, 10k keys): ${((us * 1000) / N).toFixed(0)} ns CPU per hit`);

  const metrics = new Metrics({ defaultMetrics: false });
  const okReply: Reply = { status: 200, headers: { 'content-type': 'application/json', 'content-length': 42, date: 'Mon, 01 Jan 2024 00:00:00 GMT', etag: '"abc"' }, body: null };
  const ok = () => Promise.resolve(okReply);
  // a limit no request here reaches: every request is allowed
  const roomy = limiter('roomy', ['1000000000/1m', '1000000000/1h'], { maxKeys: 100_000 });
  const handler = rateLimit({ limiters: [roomy], store, route: '/api/**', metrics })(ok);
  const xs = keys.slice(0, 1000).map((k) => {
    const req = new IncomingMessage(new Socket());
    const x = new Exchange(req, new ServerResponse(req), 0n);
    x.clientIp = k;
    return x;
  });
  const M = 500_000;
  const bare = ok as (x: Exchange) => Promise<Reply>;
  await cpuUsAsync(100_000, (i) => bare(xs[i % xs.length]!));
  const us0 = await cpuUsAsync(M, (i) => bare(xs[i % xs.length]!));
  console.log(`baseline (no stage, same batching): ${(us0 / M).toFixed(2)} µs CPU per request`);
  await cpuUsAsync(100_000, (i) => handler(xs[i % xs.length]!));
  const us2 = await cpuUsAsync(M, (i) => handler(xs[i % xs.length]!));
  console.log(`rate-limit stage, memory store, allowed request incl. 5 response fields: ${(us2 / M).toFixed(2)} µs CPU per request`);
  const hot = rateLimit({ limiters: [limiter('tiny', ['1/1h'])], store, route: '/api/**', metrics })(ok);
  await cpuUsAsync(100_000, () => hot(xs[0]!));
  const us3 = await cpuUsAsync(M, () => hot(xs[0]!));
  console.log(`rate-limit stage, memory store, rejected request (429 problem+json): ${(us3 / M).toFixed(2)} µs CPU per request`);
}

async function redis(): Promise<void> {
  const r = createGuardedRedis({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', timeout: 1000 });
  await new Promise((res) => r.client.once('ready', res));
  const prefix = `sono-guard-measure:${randomUUID()}:`;
  const store = new RedisRateLimitStore({ guard: r.guard, prefix, onError: 'local' });
  const l = limiter('per-ip', ['60/1m', '1000/1h']);
  const keys = Array.from({ length: 10_000 }, (_, i) => ip(i * 7919));
  for (let i = 0; i < 2000; i++) await store.hit([l], [keys[i % keys.length]!], 0);
  for (const concurrency of [1, 64]) {
    const N = concurrency === 1 ? 10_000 : 100_000;
    const c0 = process.cpuUsage();
    const w0 = process.hrtime.bigint();
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < N) await store.hit([l], [keys[next++ % keys.length]!], 0);
    }));
    const wall = Number(process.hrtime.bigint() - w0) / 1e9;
    const c = process.cpuUsage(c0);
    console.log(`redis store hit, ${concurrency} in flight: ${((c.user + c.system) / N).toFixed(1)} µs client CPU per hit, ` +
      `${(N / wall).toFixed(0)} hits/s, ${((wall * 1e6 * concurrency) / N).toFixed(0)} µs mean latency`);
  }
  const stale = await r.client.keys(`${prefix}*`);
  for (let i = 0; i < stale.length; i += 1000) await r.client.del(...stale.slice(i, i + 1000));
  await r.close();
}

const what = process.argv[2] ?? 'all';
if (what === 'heap' || what === 'all') await heap();
if (what === 'memory' || what === 'all') await memory();
if (what === 'redis' || what === 'all') await redis();
