import * as z from 'zod';
import { describeValue } from './messages.js';
import { didYouMean } from './suggest.js';
import { duration, headerName, int, limit, percent, size, whenValid } from './fields.js';

/** The named policies routes refer to: `rate_limits`, `breakers`, `caches`. */

export type RateLimitKey = { kind: 'ip' } | { kind: 'header'; name: string } | { kind: 'route' } | { kind: 'ip+route' };

const KEY_KINDS = ['ip', 'header:NAME', 'route', 'ip+route'];

const rateLimitKey = z.string().meta({ pattern: '^(ip|route|ip\\+route|header:[!#$%&\'*+.^_`|~0-9A-Za-z-]+)$' })
  .transform((v, ctx): RateLimitKey => {
    const text = v.trim();
    if (text === 'ip' || text === 'route' || text === 'ip+route') return { kind: text };
    if (text.startsWith('header:')) {
      const name = headerName().safeParse(text.slice('header:'.length));
      if (name.success) return { kind: 'header', name: name.data };
      ctx.addIssue({ code: 'custom', input: v, message: `bad key ${describeValue(v)}: expected header:NAME with a valid header name` });
      return z.NEVER;
    }
    ctx.addIssue({
      code: 'custom', input: v,
      message: `bad key ${describeValue(v)}: expected ${KEY_KINDS.join(', ')}${didYouMean(text, KEY_KINDS)}`,
    });
    return z.NEVER;
  });

const mode = z.enum(['enforce', 'shadow']).prefault('enforce')
  .describe('enforce: act on the decision; shadow: only count and log what would have happened. Default enforce.');

export const rateLimit = z.strictObject({
  key: rateLimitKey.describe('What is counted: ip, header:NAME (e.g. header:x-api-key), route, or ip+route. Required.'),
  limits: z.union([limit().transform((l) => [l]), z.array(limit()).min(1)])
    .describe('One or more COUNT/WINDOW limits, e.g. [60/1m, 1000/1h]; a request must fit every one. Required.'),
  mode,
  max_keys: int(1).prefault(100_000)
    .describe('Most keys tracked in memory; beyond it the least useful are evicted (full buckets first). Default 100000.'),
}).superRefine((r, ctx) => {
  const seen = new Set<number>();
  r.limits.forEach((l, i) => {
    if (seen.has(l.window)) ctx.addIssue({ code: 'custom', path: ['limits', i], message: `two limits with the same window (${l.text})` });
    seen.add(l.window);
  });
}, whenValid('limits'));

export const breaker = z.strictObject({
  failure_rate: percent().refine((v) => v > 0, { error: 'must be above 0%' }).prefault('50%')
    .describe('Open when this share of the last `window` calls failed (once `min_calls` were made). Default 50%.'),
  window: int(1, 10_000).prefault(20).describe('Number of recent calls the failure rate is computed over. Default 20.'),
  min_calls: int(1).prefault(10).describe('Calls needed in the window before the failure rate counts. Default 10.'),
  consecutive_failures: int(0).prefault(5).describe('Open after this many failures in a row; 0 turns this off. Default 5.'),
  slow_call: duration().prefault('5s').describe('A call slower than this counts as a failure; 0 turns this off. Default 5s.'),
  open_for: duration().prefault('30s').describe('Time OPEN before trial calls are let through (HALF_OPEN). Default 30s.'),
  half_open_calls: int(1).prefault(3).describe('Trial calls in HALF_OPEN; all must succeed to close. Default 3.'),
  mode,
}).superRefine((b, ctx) => {
  if (b.min_calls > b.window) {
    ctx.addIssue({ code: 'custom', path: ['min_calls'], message: `min_calls (${b.min_calls}) is larger than window (${b.window}): the breaker could never open on failure rate` });
  }
}, whenValid('window', 'min_calls'));

const MB = 1024 * 1024;

export const cache = z.strictObject({
  ttl: duration(10 * 365 * 86_400_000).prefault('1m')
    .describe('Freshness for responses that declare none; 0 stores only what the app marks cacheable. Default 1m.'),
  max_ttl: duration(10 * 365 * 86_400_000).nullable().prefault(null)
    .describe('Cap on the freshness the app declares (max-age, s-maxage, Expires). Default: no cap.'),
  max_bytes: size().refine((v) => v > 0, { error: 'must be above 0' }).prefault('64mb').describe('Bound on the bytes this cache holds (LRU). Default 64mb.'),
  max_entry_bytes: size().optional()
    .describe('Largest response stored; larger ones pass through uncached. Default the smaller of 1mb and max_bytes / 8.'),
  vary: z.array(headerName()).prefault([]).describe('Request headers that are part of the cache key (lower-cased). Default none.'),
  stale_while_revalidate: duration().prefault(0)
    .describe('How long past freshness a stale response is served while it is refreshed in the background. Default 0.'),
  stale_if_error: duration().prefault(0)
    .describe('How long past freshness a stale response is served when the app fails or the breaker is open. Default 0.'),
  near_ttl: duration(60_000).prefault('1s')
    .describe('store: redis only. How long a replica answers from its own copy of an entry it read from Redis, without a round trip; purges and invalidations reach every replica\'s copies through Redis pub/sub, and copies are not used while that subscription is down. 0 reads Redis on every hit. At most 1m. Default 1s.'),
}).superRefine((c, ctx) => {
  if (c.max_entry_bytes !== undefined && c.max_entry_bytes > c.max_bytes) {
    ctx.addIssue({ code: 'custom', path: ['max_entry_bytes'], message: 'must not be larger than max_bytes' });
  }
}, whenValid('max_bytes', 'max_entry_bytes')).transform((c) => ({
  ...c,
  max_entry_bytes: c.max_entry_bytes ?? Math.min(MB, Math.floor(c.max_bytes / 8)),
}));
