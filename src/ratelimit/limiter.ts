import type { Metrics } from '../observability/metrics.js';
import { KeyTable } from './key-table.js';
import type { Decision, RateLimitDef, WindowSpec } from './types.js';

export interface RateLimiterOptions {
  /** Evictions are counted in `rate_limit_keys_evicted_total{policy}`. */
  metrics?: Pick<Metrics, 'rateLimitEvictions'>;
}

export interface RateLimiterSnapshot {
  mode: 'enforce' | 'shadow';
  limits: string[];
  /** Requests rejected (in shadow mode: that would have been rejected). */
  limited_total: number;
  /** Keys tracked in memory (the memory store, or the local fallback of the Redis store). */
  keys: number;
  max_keys: number;
  evictions: number;
}

/**
 * One named rate-limit policy: its compiled windows and its in-memory state
 * (the memory store's counters, and the per-replica fallback when Redis is
 * down with `on_error: local`). One instance per policy; kept across reloads
 * that leave the definition unchanged.
 */
export class RateLimiter {
  readonly name: string;
  readonly def: RateLimitDef;
  readonly enforce: boolean;
  /** Shortest window first. */
  readonly windows: readonly WindowSpec[];
  readonly table: KeyTable;
  limitedTotal = 0;

  // Scratch for one synchronous check-then-charge (stores never interleave two).
  /** @internal */ readonly tat0: Float64Array;
  /** @internal */ readonly next: Float64Array;
  /** @internal */ readonly debt: Float64Array;
  /** @internal */ readonly ok: Uint8Array;
  /** @internal */ slot = -1;
  /** @internal */ pass = false;
  /** @internal Redis script arguments of this policy: enforce flag, window count, (ms, limit) pairs. */
  readonly scriptArgs: readonly (string | number)[];
  /** Decisions used when the shared store is unavailable and `on_error` is allow / deny. */
  readonly unavailableAllow: Decision;
  readonly unavailableDeny: Decision;

  constructor(name: string, def: RateLimitDef, opts: RateLimiterOptions = {}) {
    if (def.limits.length === 0) throw new RangeError(`rate limit "${name}": no limits`);
    this.name = name;
    this.def = def;
    this.enforce = def.mode !== 'shadow';
    this.windows = compileWindows(name, def);
    const n = this.windows.length;
    const evicted = opts.metrics?.rateLimitEvictions.labels(name);
    this.table = new KeyTable(n, def.max_keys, evicted ? () => evicted.inc() : undefined);
    this.tat0 = new Float64Array(n);
    this.next = new Float64Array(n);
    this.debt = new Float64Array(n);
    this.ok = new Uint8Array(n);
    const args: (string | number)[] = [this.enforce ? 1 : 0, n];
    for (const w of this.windows) args.push(w.windowMs, w.limit);
    this.scriptArgs = Object.freeze(args);
    const w0 = this.windows[0]!;
    const base = { limit: w0.limit, remaining: 0, resetS: 0, policy: name, windowMs: w0.windowMs, window: w0.text, item: w0.item, unavailable: true };
    this.unavailableAllow = Object.freeze({ ...base, allowed: true, retryAfterS: 0 });
    this.unavailableDeny = Object.freeze({ ...base, allowed: false, retryAfterS: 1 });
  }

  snapshot(): RateLimiterSnapshot {
    return {
      mode: this.def.mode,
      limits: this.windows.map((w) => w.text),
      limited_total: this.limitedTotal,
      keys: this.table.size,
      max_keys: this.table.maxKeys,
      evictions: this.table.evictions,
    };
  }

  /** Drop the in-memory state. */
  close(): void {
    this.table.clear();
  }
}

/**
 * Windows sorted shortest first. IETF item names: the shortest window carries
 * the policy name, the others `NAME-WINDOW` (`per-ip`, `per-ip-1h`).
 */
function compileWindows(name: string, def: RateLimitDef): WindowSpec[] {
  const sorted = [...def.limits].sort((a, b) => a.window - b.window);
  const used = new Set<string>();
  return sorted.map((l, i) => {
    if (!(l.count >= 1) || !(l.window >= 1)) throw new RangeError(`rate limit "${name}": bad limit ${l.text}`);
    const slash = l.text.indexOf('/');
    const suffix = slash >= 0 ? l.text.slice(slash + 1).trim() : `${Math.ceil(l.window / 1000)}s`;
    let item = i === 0 ? name : `${name}-${suffix}`;
    if (used.has(item)) item = `${item}-${i}`;
    used.add(item);
    return { limit: l.count, windowMs: l.window, intervalMs: l.window / l.count, text: l.text, item };
  });
}
