import { RateLimiter } from '../../src/ratelimit/limiter.js';
import type { KeySpec, LimitDef } from '../../src/ratelimit/types.js';

const UNIT: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };

/** `60/1m` → LimitDef (test-only parser; the config compiles the real ones). */
export function lim(text: string): LimitDef {
  const m = /^(\d+)\/(\d*)([smh])$/.exec(text);
  if (!m) throw new Error(`bad limit ${text}`);
  return { count: Number(m[1]), window: Number(m[2] || 1) * UNIT[m[3]!]!, text };
}

export function limiter(
  name: string,
  limits: string[],
  opts: { mode?: 'enforce' | 'shadow'; key?: KeySpec; maxKeys?: number } = {},
): RateLimiter {
  return new RateLimiter(name, {
    key: opts.key ?? { kind: 'ip' },
    limits: limits.map(lim),
    mode: opts.mode ?? 'enforce',
    max_keys: opts.maxKeys ?? 10_000,
  });
}
