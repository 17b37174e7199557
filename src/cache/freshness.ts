/**
 * Freshness and age (RFC 9111 §4.2), as pure functions of header values and
 * injected times. Everything is in milliseconds; header values are seconds.
 */
import { deltaSeconds, MAX_DELTA, type Directives } from './cache-control.js';
import { first, type AnyHeaders } from './headers.js';
import { parseHttpDate } from './http-date.js';
import type { CacheEntry } from './types.js';

export interface Lifetime {
  /** Freshness lifetime in ms. */
  ms: number;
  /** True when the response stated it (s-maxage, max-age or Expires), false for the policy default. */
  explicit: boolean;
}

/**
 * Freshness lifetime for a shared cache: `s-maxage`, then `max-age`, then
 * `Expires − Date` (an invalid Expires means already stale); with none of
 * them, the policy `ttl`. `max_ttl` caps both. A targeted field
 * (CDN-Cache-Control) replaces Cache-Control and Expires altogether.
 */
export function freshnessLifetime(
  d: Directives,
  fromTargeted: boolean,
  h: AnyHeaders,
  dateMs: number,
  ttlMs: number,
  maxTtlMs: number | null,
): Lifetime {
  let explicit: number | null = null;
  const sMax = deltaSeconds(d, 's-maxage');
  const maxAge = deltaSeconds(d, 'max-age');
  if (typeof sMax === 'number') explicit = sMax * 1000;
  else if (maxAge !== undefined) explicit = maxAge === null ? 0 : maxAge * 1000;
  else if (!fromTargeted && h.expires !== undefined) {
    const exp = parseHttpDate(first(h, 'expires'));
    explicit = Number.isNaN(exp) ? 0 : Math.max(0, exp - dateMs);
  }
  const ms = explicit ?? ttlMs;
  return { ms: maxTtlMs !== null && ms > maxTtlMs ? maxTtlMs : ms, explicit: explicit !== null };
}

/** The response's Date in ms, or `responseTime` when Date is missing or invalid. */
export function dateValue(h: AnyHeaders, responseTime: number): number {
  const d = parseHttpDate(first(h, 'date'));
  return Number.isNaN(d) ? responseTime : d;
}

/** Incoming Age in seconds: the first member of the first line when it is a non-negative integer, else 0. */
export function ageValue(h: AnyHeaders): number {
  const v = first(h, 'age');
  if (v === undefined) return 0;
  const t = v.split(',')[0]!.trim();
  if (!/^[0-9]+$/.test(t)) return 0;
  return Math.min(Number(t), MAX_DELTA);
}

/** corrected_initial_age (RFC 9111 §4.2.3) in ms. */
export function initialAge(h: AnyHeaders, dateMs: number, requestTime: number, responseTime: number): number {
  const apparent = Math.max(0, responseTime - dateMs);
  const delay = Math.max(0, responseTime - requestTime);
  const corrected = ageValue(h) * 1000 + delay;
  return Math.max(apparent, corrected);
}

/** current_age in ms at `now`. */
export function currentAge(e: Pick<CacheEntry, 'initialAgeMs' | 'responseTime'>, now: number): number {
  return e.initialAgeMs + Math.max(0, now - e.responseTime);
}

/** What the request asks of a stored response (RFC 9111 §5.2.1). */
export interface RequestRules {
  /** Why the request neither uses nor fills the cache, or null. */
  bypass: 'authorization' | 'no-store' | null;
  /** no-cache, max-age=0 or Pragma: no-cache: validate with the app even when fresh. */
  noCache: boolean;
  maxAgeMs: number | null;
  minFreshMs: number | null;
  /** Stale tolerated by the client (Infinity for a bare max-stale). */
  maxStaleMs: number | null;
  onlyIfCached: boolean;
  /** The request's own stale-if-error allowance (RFC 5861 §4). */
  sieMs: number | null;
}

/** How a stored response may be used at `now` for a request. */
export interface Assessment {
  ageMs: number;
  /** lifetime − age: positive while fresh, negative once stale (ms). */
  remainingMs: number;
  /** Answer from the cache without contacting the app. */
  usable: boolean;
  /** Stale, but within stale-while-revalidate: answer now, refresh in the background. */
  swr: boolean;
}

export function assess(e: CacheEntry, rq: RequestRules, now: number): Assessment {
  const ageMs = currentAge(e, now);
  const remainingMs = e.lifetimeMs - ageMs;
  let usable = false;
  let swr = false;
  if (!e.revalidate && !rq.noCache && (rq.maxAgeMs === null || ageMs <= rq.maxAgeMs)) {
    if (remainingMs > 0) usable = rq.minFreshMs === null || remainingMs >= rq.minFreshMs;
    else if (!e.noStale) {
      usable = rq.maxStaleMs !== null && -remainingMs <= rq.maxStaleMs;
      swr = !usable && rq.maxAgeMs === null && -remainingMs <= e.swrMs;
    }
  }
  return { ageMs, remainingMs, usable, swr };
}

/** May this entry answer in place of an upstream failure (stale-if-error, RFC 5861 §4)? */
export function staleIfErrorAllowed(e: CacheEntry, rq: RequestRules, now: number): boolean {
  if (e.noStale) return false;
  const staleMs = currentAge(e, now) - e.lifetimeMs;
  return staleMs <= Math.max(e.sieMs, rq.sieMs ?? 0);
}
