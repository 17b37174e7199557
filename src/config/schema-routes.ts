import * as z from 'zod';
import { describeValue } from './messages.js';
import { duration, int, method, pathPattern, percent, whenValid } from './fields.js';

/** `routes`: which policies apply to which requests, first match wins. */

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

const retry = z.strictObject({
  attempts: int(1, 10).prefault(2).describe('Retries after the first try (2 means up to 3 tries in all). Default 2.'),
  on: z.array(z.union([z.enum(['connect_error', 'timeout', 'reset']), int(500, 599)], {
    error: (iss) => `expected connect_error, timeout, reset or a 5xx status, got ${describeValue(iss.input)}`,
  })).min(1).prefault(['connect_error', 'reset', 502, 503])
    .describe('Failures that are retried: connect_error, timeout, reset, or 5xx statuses. Default [connect_error, reset, 502, 503].'),
  budget: percent().prefault('20%')
    .describe('Retries may add at most this share of the route\'s requests, so retries never multiply an outage. Default 20%.'),
});

const match = z.strictObject({
  path: pathPattern().describe('Path pattern: exact, "*" for one segment, a final "**" for any rest. Required.'),
  methods: z.array(method()).min(1).nullable().prefault(null)
    .describe('Methods this route matches (upper-cased). Default: every method.'),
});

const rateLimitRef = z.union([z.string(), z.array(z.string()).min(1)]).optional()
  .describe('Name of a rate limit, a list of names (every one applies), or off. Default: none.');

export const route = z.strictObject({
  match: match.describe('Which requests this route takes. Required.'),
  rate_limit: rateLimitRef,
  breaker: z.string().nullable().prefault(null).describe('Name of the breaker guarding the app for this route. Default: none.'),
  cache: z.string().nullable().prefault(null).describe('Name of the cache for GET and HEAD on this route. Default: none.'),
  invalidates: z.array(pathPattern()).prefault([])
    .describe('Cached paths (patterns) evicted after a successful unsafe request on this route. Default none.'),
  timeout: duration().nullable().prefault(null).describe('Time to the app\'s response headers; overrides upstream.timeout. Default: upstream.timeout.'),
  retry: retry.nullable().prefault(null).describe('Retry idempotent requests that failed. Default: no retries.'),
}).superRefine((r, ctx) => {
  const names = typeof r.rate_limit === 'string' ? [r.rate_limit] : r.rate_limit ?? [];
  if (Array.isArray(r.rate_limit)) {
    names.forEach((n, i) => {
      if (n === 'off') ctx.addIssue({ code: 'custom', path: ['rate_limit', i], message: 'off cannot be combined with rate limits: write rate_limit: off' });
      else if (names.indexOf(n) !== i) ctx.addIssue({ code: 'custom', path: ['rate_limit', i], message: `"${n}" is listed twice` });
    });
  }
}, whenValid('rate_limit')).superRefine((r, ctx) => {
  const methods = r.match.methods;
  if (methods && r.cache !== null && !methods.some((m) => m === 'GET' || m === 'HEAD')) {
    ctx.addIssue({ code: 'custom', path: ['cache'], message: `caches only serve GET and HEAD, and this route matches only ${methods.join(', ')}` });
  }
  if (methods && r.retry !== null && !methods.some((m) => IDEMPOTENT.has(m))) {
    ctx.addIssue({ code: 'custom', path: ['retry'], message: `only idempotent requests are retried, and this route matches only ${methods.join(', ')}` });
  }
}, whenValid('match', 'cache', 'retry'));

type RouteInput = z.output<typeof route>;

/** `rate_limit: per-ip` → `['per-ip']`, `off` or absent → `[]` (with `rate_limit_off` telling them apart). */
export function normalizeRoute(r: RouteInput) {
  const off = r.rate_limit === 'off';
  return {
    match: r.match,
    rate_limit: off || r.rate_limit === undefined ? [] : typeof r.rate_limit === 'string' ? [r.rate_limit] : r.rate_limit,
    rate_limit_off: off,
    breaker: r.breaker,
    cache: r.cache,
    invalidates: r.invalidates,
    timeout: r.timeout,
    retry: r.retry,
  };
}
