import type { Redis } from 'ioredis';
import type { StoreGuard } from '../store/guarded.js';
import { decide } from './gcra.js';
import type { RateLimiter } from './limiter.js';
import { RATE_LIMIT_LUA } from './lua.js';
import { MemoryRateLimitStore } from './memory-store.js';
import type { Decision, RateLimitStore } from './types.js';

export type OnError = 'local' | 'allow' | 'deny';

export interface RedisRateLimitStoreOptions {
  guard: StoreGuard<Redis>;
  /** `store.prefix`; keys are `PREFIX rl:{POLICY:KEY}`. */
  prefix: string;
  /**
   * When Redis fails, times out or its guard is open:
   *  local — the same algorithm per replica, in each policy's memory table;
   *  allow — let the request through (no rate-limit headers);
   *  deny  — reject enforced policies with 429 rate_limited "limiter unavailable".
   */
  onError: OnError;
}

const COMMAND = 'sonoGuardRateLimitBatch';
type ScriptClient = Redis & { [COMMAND](...args: (string | number)[]): Promise<number[]> };

/** One request's check, waiting for its batch. */
interface Pending {
  limiters: readonly RateLimiter[];
  keys: readonly string[];
  now: number;
  resolve: (ds: Decision[]) => void;
  reject: (err: unknown) => void;
}

/** Requests per script call at most: Redis runs nothing else while a script runs. */
const MAX_BATCH = 64;

/**
 * Counters shared by every replica: one EVALSHA covering every window of
 * every policy of the route for each request (see lua.ts). Requests that
 * arrive in the same turn of the event loop go in one call (up to 64): the
 * client's cost per command (command object, reply parsing, a promise, the
 * guard's timer) was most of a Redis-limited request's CPU, and under load
 * a turn brings many requests. They are applied in arrival order inside the
 * script, so the counts are exactly those of one call per request; a request
 * waits at most until the end of its turn. Behind the store guard, so a slow
 * or dead Redis costs at most the guard's timeout, and nothing at all once
 * its breaker is open.
 */
export class RedisRateLimitStore implements RateLimitStore {
  readonly kind = 'redis' as const;
  private readonly guard: StoreGuard<Redis>;
  private readonly prefix: string;
  private readonly onError: OnError;
  private readonly local = new MemoryRateLimitStore();
  private batch: Pending[] = [];

  constructor(o: RedisRateLimitStoreOptions) {
    this.guard = o.guard;
    this.prefix = `${o.prefix}rl:`;
    this.onError = o.onError;
    const client = o.guard.client as Partial<ScriptClient> & Redis;
    // defineCommand: EVALSHA, with EVAL on first use per connection and on NOSCRIPT
    if (typeof client[COMMAND] !== 'function') client.defineCommand(COMMAND, { lua: RATE_LIMIT_LUA });
  }

  hit(limiters: readonly RateLimiter[], keys: readonly string[], now: number): Promise<Decision[]> {
    return new Promise((resolve, reject) => {
      const b = this.batch;
      b.push({ limiters, keys, now, resolve, reject });
      if (b.length === 1) setImmediate(this.flush);
      else if (b.length >= MAX_BATCH) this.flush();
    });
  }

  health(): 'operational' | 'degraded' {
    return this.guard.health();
  }

  /** Send what is waiting (arrow: passed to setImmediate as is). */
  private readonly flush = (): void => {
    const b = this.batch;
    if (b.length === 0) return;
    this.batch = [];
    void this.guard
      .run(
        (c) => this.run(c as ScriptClient, b),
        () => b.map((p) => this.fallback(p.limiters, p.keys, p.now)),
      )
      .then(
        (all) => {
          for (let i = 0; i < b.length; i++) b[i]!.resolve(all[i]!);
        },
        (err: unknown) => {
          for (const p of b) p.reject(err);
        },
      );
  };

  private run(c: ScriptClient, b: readonly Pending[]): Promise<Decision[][]> {
    const keys: string[] = [];
    const argv: (string | number)[] = [b.length];
    for (const p of b) {
      const n = p.limiters.length;
      argv.push(n);
      for (let i = 0; i < n; i++) {
        const l = p.limiters[i]!;
        keys.push(`${this.prefix}{${l.name}:${p.keys[i]!}}`);
        for (const v of l.scriptArgs) argv.push(v);
      }
    }
    return c[COMMAND](keys.length, ...keys, ...argv).then((reply) => parse(reply, b));
  }
  private fallback(limiters: readonly RateLimiter[], keys: readonly string[], now: number): Decision[] {
    if (this.onError === 'local') return this.local.hit(limiters, keys, now);
    const out = new Array<Decision>(limiters.length);
    for (let i = 0; i < limiters.length; i++) {
      out[i] = this.onError === 'allow' ? limiters[i]!.unavailableAllow : limiters[i]!.unavailableDeny;
    }
    return out;
  }
}

function parse(reply: unknown, b: readonly Pending[]): Decision[][] {
  if (!Array.isArray(reply)) throw new TypeError('rate-limit script: unexpected reply');
  const all = new Array<Decision[]>(b.length);
  let k = 0;
  for (let r = 0; r < b.length; r++) {
    const limiters = b[r]!.limiters;
    const out = new Array<Decision>(limiters.length);
    k++; // chargedAll: every decision below says the same
    for (let i = 0; i < limiters.length; i++) {
      const l = limiters[i]!;
      let pass = true;
      for (let w = 0; w < l.windows.length; w++) {
        l.debt[w] = Number(reply[k++]) / 1000;
        const ok = Number(reply[k++]) === 1 ? 1 : 0;
        l.ok[w] = ok;
        if (ok === 0) pass = false;
      }
      out[i] = decide(l.name, l.windows, l.debt, l.ok, pass);
    }
    all[r] = out;
  }
  if (k !== reply.length) throw new TypeError('rate-limit script: reply does not match the batch');
  return all;
}
