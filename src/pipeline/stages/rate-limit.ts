import type { Metrics } from '../../observability/metrics.js';
import { limitItem, policyField, quotedItems } from '../../ratelimit/headers.js';
import { compileKey } from '../../ratelimit/keys.js';
import type { RateLimiter } from '../../ratelimit/limiter.js';
import type { Decision, RateLimitStore } from '../../ratelimit/types.js';
import type { Exchange } from '../exchange.js';
import { problem } from '../problem.js';
import type { Handler, Reply, Stage } from '../types.js';

export interface RateLimitStageOptions {
  /** The route's policies, in the order the route lists them. */
  limiters: readonly RateLimiter[];
  /** The proxy's counter store (memory, or Redis behind its guard). */
  store: RateLimitStore;
  /** The route's pattern: the `route` metrics label and the `route` / `ip+route` key. */
  route: string;
  metrics: Pick<Metrics, 'limitedCount'>;
  /** Clock for the memory store (ms). Default Date.now. */
  now?: () => number;
}

/**
 * Rate limit (SPEC §4). Every window of every policy of the route is checked
 * in one store call and charged only if every enforced policy allows.
 *
 *  - rejected: 429 `rate_limited` naming the policy, `Retry-After` (whole
 *    seconds, ≥ 1, never before the rejecting windows are restored), the
 *    rate-limit fields; the request goes no further;
 *  - allowed: the request continues at once (with a synchronous store
 *    nothing is awaited before forwarding) and the rate-limit fields are
 *    added to whatever reply comes back (upstream, cache, breaker);
 *  - shadow policies count and set `limitedBy` (`NAME (shadow)`) but never
 *    reject and add no fields;
 *  - store unavailable with `on_error: allow`: no fields; `deny`: 429.
 */
export function rateLimit(o: RateLimitStageOptions): Stage {
  const limiters = [...new Set(o.limiters)];
  const n = limiters.length;
  const store = o.store;
  const now = o.now ?? Date.now;
  const keyOf = limiters.map((l) => compileKey(l.def.key, o.route));
  // Series exist from the start (at 0) so alert rules' increase() sees the first rejection.
  const limited = limiters.map((l) => o.metrics.limitedCount(l.name, o.route));
  const shadowLabel = limiters.map((l) => `${l.name} (shadow)`);
  const quoted = limiters.map(quotedItems);
  const policyValue = policyField(limiters.filter((l) => l.enforce));

  /** `RateLimit` value: the tightest window of each enforced policy whose count is known. */
  function limitField(ds: readonly Decision[]): string {
    let rl = '';
    for (let i = 0; i < n; i++) {
      const e = ds[i]!;
      if (!limiters[i]!.enforce || e.unavailable) continue;
      const item = limitItem(quoted[i]!.get(e.item)!, e);
      rl = rl.length === 0 ? item : `${rl}, ${item}`;
    }
    return rl;
  }

  function apply(x: Exchange, ds: readonly Decision[], next: Handler): Promise<Reply> {
    let reject = -1;
    let shadow = -1;
    let tight = -1;
    let retry = 0;
    for (let i = 0; i < n; i++) {
      const d = ds[i]!;
      const l = limiters[i]!;
      if (!d.allowed) {
        l.limitedTotal++;
        limited[i]!.n++;
        if (!l.enforce) {
          if (shadow < 0) shadow = i;
        } else {
          if (reject < 0) reject = i;
          if (d.retryAfterS > retry) retry = d.retryAfterS;
        }
      }
      if (l.enforce && !d.unavailable) {
        const t = tight < 0 ? null : ds[tight]!;
        if (t === null || d.remaining < t.remaining || (d.remaining === t.remaining && d.windowMs < t.windowMs)) tight = i;
      }
    }
    if (reject >= 0) {
      const d = ds[reject]!;
      const name = limiters[reject]!.name;
      x.limitedBy = name;
      const wait = retry < 1 ? 1 : retry;
      const headers: Record<string, string | number> = {};
      if (tight >= 0) setFields(headers, ds[tight]!, limitField(ds));
      headers['retry-after'] = wait;
      const detail = d.unavailable
        ? `Rate limiter unavailable for policy "${name}"; try again shortly`
        : `Rate limit "${name}" exceeded (${d.window}); retry in ${wait} s`;
      return Promise.resolve(problem(x, 'rate_limited', detail, headers));
    }
    if (shadow >= 0) x.limitedBy = shadowLabel[shadow]!;
    // next runs now, in this turn: nothing is awaited before forwarding
    const p = next(x);
    if (tight < 0) return p;
    const d = ds[tight]!;
    const rl = limitField(ds);
    return p.then((reply) => withFields(reply, d, rl));
  }

  function setFields(h: Record<string, string | number | string[] | undefined>, d: Decision, rl: string): void {
    h['x-ratelimit-limit'] = d.limit;
    h['x-ratelimit-remaining'] = d.remaining;
    h['x-ratelimit-reset'] = d.resetS;
    h['ratelimit-policy'] = policyValue!;
    h['ratelimit'] = rl;
  }

  /**
   * The reply with the rate-limit fields added, in a fresh headers object:
   * the reply's own may be shared (a cached entry), and setting them on
   * `res` instead would push writeHead onto its slow path for every header.
   */
  function withFields(reply: Reply, d: Decision, rl: string): Reply {
    const h: Reply['headers'] = {};
    const src = reply.headers;
    for (const k in src) h[k] = src[k];
    setFields(h, d, rl);
    return { status: reply.status, headers: h, body: reply.body };
  }

  return (next) => (x) => {
    const keys = new Array<string>(n);
    for (let i = 0; i < n; i++) keys[i] = keyOf[i]!(x);
    const r = store.hit(limiters, keys, now());
    if (Array.isArray(r)) return apply(x, r, next);
    return r.then((ds) => apply(x, ds, next));
  };
}
