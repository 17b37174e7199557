import type { RateLimiter } from './limiter.js';

/** What a policy counts by (SPEC §3 `key`). */
export type KeySpec = { kind: 'ip' } | { kind: 'header'; name: string } | { kind: 'route' } | { kind: 'ip+route' };

/** One `COUNT/WINDOW` limit as the config compiles it. */
export interface LimitDef {
  readonly count: number;
  /** Window length in milliseconds. */
  readonly window: number;
  /** As written, e.g. `60/1m`. */
  readonly text: string;
}

/** A named `rate_limits` entry (field names match the compiled policy). */
export interface RateLimitDef {
  readonly key: KeySpec;
  readonly limits: readonly LimitDef[];
  readonly mode: 'enforce' | 'shadow';
  readonly max_keys: number;
}

/** A window compiled for the hot path. */
export interface WindowSpec {
  readonly limit: number;
  readonly windowMs: number;
  /** GCRA emission interval: one request's worth of budget comes back every `intervalMs`. */
  readonly intervalMs: number;
  readonly text: string;
  /** Name of this window in the IETF `RateLimit-Policy` / `RateLimit` fields. */
  readonly item: string;
}

/**
 * One policy's answer for one request, reported for its tightest window
 * (least remaining; ties → the shortest window). Nothing is negative.
 */
export interface Decision {
  /** Every window of the policy allows the request. */
  readonly allowed: boolean;
  readonly limit: number;
  /** Requests left in the tightest window after this one (when it was counted). */
  readonly remaining: number;
  /** Seconds until the tightest window's budget is fully restored. */
  readonly resetS: number;
  /** When rejected: seconds until every rejecting window is fully restored (≥ 1); else 0. */
  readonly retryAfterS: number;
  readonly policy: string;
  readonly windowMs: number;
  /** Limit text of the tightest window, e.g. `60/1m`. */
  readonly window: string;
  /** IETF field item name of the tightest window. */
  readonly item: string;
  /** The shared store was unavailable and `on_error` is allow or deny: no real count behind this. */
  readonly unavailable: boolean;
}

/**
 * Where counters live. `hit` checks every window of every policy of a route
 * and charges all of them only when every enforced policy allows (a request
 * rejected by one window or policy costs nothing elsewhere). A shadow policy
 * that would reject is not charged either, and does not stop the others.
 * The memory store answers synchronously; a hot path must not await it.
 */
export interface RateLimitStore {
  readonly kind: 'memory' | 'redis';
  hit(limiters: readonly RateLimiter[], keys: readonly string[], now: number): Decision[] | Promise<Decision[]>;
  health(): 'operational' | 'degraded';
}
