import type { RateLimiter } from './limiter.js';
import type { Decision } from './types.js';

/**
 * Rate-limit response fields.
 *
 * Legacy: `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset`
 * (seconds until the window is fully restored) for the tightest window.
 *
 * IETF: draft-ietf-httpapi-ratelimit-headers-10 (structured fields, RFC 9651;
 * the working copy after -10 keeps the same syntax):
 *   RateLimit-Policy: "per-ip";q=60;w=60, "per-ip-1h";q=1000;w=3600
 *   RateLimit: "per-ip";r=59;t=1
 * `RateLimit-Policy` lists every window of every enforced policy of the route
 * (constant per route, built once). `RateLimit` has one item per enforced
 * policy: its tightest window, `r` the requests left, `t` the seconds until
 * that window is fully restored. No `pk` (it would expose the client key).
 */

/** An RFC 9651 sf-string: printable ASCII with `"` and `\` escaped. */
export function sfString(s: string): string {
  return `"${s.replace(/[^\x20-\x7e]/g, '').replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** `RateLimit-Policy` value for the given enforced policies, or null when there are none. */
export function policyField(limiters: readonly RateLimiter[]): string | null {
  const items: string[] = [];
  for (const l of limiters) {
    for (const w of l.windows) {
      items.push(`${sfString(w.item)};q=${w.limit};w=${Math.max(1, Math.ceil(w.windowMs / 1000))}`);
    }
  }
  return items.length > 0 ? items.join(', ') : null;
}

/** Pre-quoted item names, so the per-request `RateLimit` value is plain concatenation. */
export function quotedItems(l: RateLimiter): Map<string, string> {
  return new Map(l.windows.map((w) => [w.item, sfString(w.item)]));
}

/** One `RateLimit` list member. */
export function limitItem(quoted: string, d: Decision): string {
  return `${quoted};r=${d.remaining};t=${d.resetS}`;
}
