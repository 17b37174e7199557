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

const COMMAND = 'sonoGuardRateLimit';
type ScriptClient = Redis & { [COMMAND](...args: (string | number)[]): Promise<number[]> };

/**
 * Counters shared by every replica: one EVALSHA per request covering every
 * window of every policy of the route (see lua.ts). Behind the store guard,
 * so a slow or dead Redis costs at most the guard's timeout, and nothing at
 * all once its breaker is open.
 */
export class RedisRateLimitStore implements RateLimitStore {
  readonly kind = 'redis' as const;
  private readonly guard: StoreGuard<Redis>;
  private readonly prefix: string;
  private readonly onError: OnError;
  private readonly local = new MemoryRateLimitStore();

  constructor(o: RedisRateLimitStoreOptions) {
    this.guard = o.guard;
    this.prefix = `${o.prefix}rl:`;
    this.onError = o.onError;
    const client = o.guard.client as Partial<ScriptClient> & Redis;
    // defineCommand: EVALSHA, with EVAL on first use per connection and on NOSCRIPT
    if (typeof client[COMMAND] !== 'function') client.defineCommand(COMMAND, { lua: RATE_LIMIT_LUA });
  }

  hit(limiters: readonly RateLimiter[], keys: readonly string[], now: number): Promise<Decision[]> {
    return this.guard.run(
      (c) => this.run(c as ScriptClient, limiters, keys),
      () => this.fallback(limiters, keys, now),
    );
  }

  health(): 'operational' | 'degraded' {
    return this.guard.health();
  }

  private run(c: ScriptClient, limiters: readonly RateLimiter[], keys: readonly string[]): Promise<Decision[]> {
    const n = limiters.length;
    const args: (string | number)[] = [n];
    for (let i = 0; i < n; i++) args.push(`${this.prefix}{${limiters[i]!.name}:${keys[i]!}}`);
    args.push(n);
    for (let i = 0; i < n; i++) args.push(...limiters[i]!.scriptArgs);
    return c[COMMAND](...args).then((reply) => parse(reply, limiters));
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

function parse(reply: unknown, limiters: readonly RateLimiter[]): Decision[] {
  if (!Array.isArray(reply)) throw new TypeError('rate-limit script: unexpected reply');
  const out = new Array<Decision>(limiters.length);
  let k = 1;
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
  return out;
}
