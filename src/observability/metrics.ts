import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { CountOf, FastHistogram } from './fast-histogram.js';

/**
 * Every metric of SPEC §6, declared in one place. One Metrics per proxy
 * instance (own Registry), so several proxies in one test process never share
 * counters. Hot-path callers resolve labelled children once (at compile time or
 * in a small per-route cache), never per request by label object.
 */
export class Metrics {
  readonly registry = new Registry();

  /** Request durations; `http_requests_total` is read off the same series (see fast-histogram.ts). */
  readonly httpDuration = new FastHistogram({
    name: 'http_request_duration_seconds',
    help: 'Time from request arrival to the end of the response',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly httpRequests = new CountOf({
    name: 'http_requests_total',
    help: 'Requests answered, by route pattern, method and status',
    of: this.httpDuration,
    registers: [this.registry],
  });

  readonly upstreamDuration = new FastHistogram({
    name: 'upstream_request_duration_seconds',
    help: 'Time from sending a request upstream to its response headers',
    labelNames: ['route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  private readonly limitedCounts = new Map<string, { policy: string; route: string; n: number; reported: number }>();

  /** Fed from `limitedCount` at scrape time. */
  readonly limited: Counter<'policy' | 'route'> = (() => {
    const self = this;
    return new Counter({
      name: 'http_requests_limited_total',
      help: 'Requests a rate-limit policy rejected (or, in shadow mode, would have rejected)',
      labelNames: ['policy', 'route'] as const,
      registers: [this.registry],
      collect() {
        for (const c of self.limitedCounts.values()) {
          if (c.n > c.reported) {
            this.labels(c.policy, c.route).inc(c.n - c.reported);
            c.reported = c.n;
          }
        }
      },
    });
  })();

  /**
   * The rejection count of one (policy, route): the stage adds to `n`, and
   * `http_requests_limited_total` reads it at scrape time. A labelled
   * prom-client child hashes its labels on every inc(), on the path of every
   * 429. The same object is returned across reloads, so the series never
   * goes backwards; it exists at 0 from the first call (alert rules'
   * increase() sees the first rejection).
   */
  limitedCount(policy: string, route: string): { n: number } {
    const key = `${policy}\u0000${route}`;
    let c = this.limitedCounts.get(key);
    if (c === undefined) {
      c = { policy, route, n: 0, reported: 0 };
      this.limitedCounts.set(key, c);
      this.limited.labels(policy, route).inc(0);
    }
    return c;
  }

  readonly rateLimitEvictions = new Counter({
    name: 'rate_limit_keys_evicted_total',
    help: 'Rate-limit keys evicted from the bounded memory store',
    labelNames: ['policy'] as const,
    registers: [this.registry],
  });

  readonly breakerState = new Gauge({
    name: 'circuit_breaker_state',
    help: 'Circuit breaker state: 0 closed, 1 open, 2 half-open',
    labelNames: ['name'] as const,
    registers: [this.registry],
  });

  readonly breakerTransitions = new Counter({
    name: 'circuit_breaker_transitions_total',
    help: 'Circuit breaker state changes, by target state',
    labelNames: ['name', 'to'] as const,
    registers: [this.registry],
  });

  readonly cacheHits = new Counter({
    name: 'cache_hits_total',
    help: 'Requests answered from a fresh cached response',
    labelNames: ['cache'] as const,
    registers: [this.registry],
  });

  readonly cacheMisses = new Counter({
    name: 'cache_misses_total',
    help: 'Cacheable requests that had to go upstream',
    labelNames: ['cache'] as const,
    registers: [this.registry],
  });

  readonly cacheStale = new Counter({
    name: 'cache_stale_served_total',
    help: 'Requests answered from a stale cached response (stale-while-revalidate or stale-if-error)',
    labelNames: ['cache'] as const,
    registers: [this.registry],
  });

  readonly cacheEntries = new Gauge({
    name: 'cache_entries',
    help: 'Entries held by a cache',
    labelNames: ['cache'] as const,
    registers: [this.registry],
  });

  readonly cacheBytes = new Gauge({
    name: 'cache_bytes',
    help: 'Bytes held by a cache (headers and bodies)',
    labelNames: ['cache'] as const,
    registers: [this.registry],
  });

  readonly configReloads = new Counter({
    name: 'config_reloads_total',
    help: 'Policy reloads, by result (success or failure)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly storeErrors = new Counter({
    name: 'store_errors_total',
    help: 'Failed or timed-out calls to the shared store',
    labelNames: ['store'] as const,
    registers: [this.registry],
  });

  /**
   * Health of each component as a number (1 operational, 0.5 degraded, 0
   * down), so alerts and dashboards read what /health reports without
   * inferring it from other series. Not in SPEC §6's table; an addition.
   */
  /** Where `sono_guard_component_up` reads component health at scrape time (set by the proxy). */
  componentSource: (() => Record<string, 'operational' | 'degraded' | 'down'>) | null = null;

  readonly componentUp: Gauge<'component'> = (() => {
    const self = this;
    return new Gauge({
      name: 'sono_guard_component_up',
      help: 'Component health as /health reports it: 1 operational, 0.5 degraded, 0 down',
      labelNames: ['component'] as const,
      registers: [this.registry],
      collect() {
        const src = self.componentSource;
        if (!src) return;
        for (const [c, v] of Object.entries(src())) this.labels(c).set(v === 'operational' ? 1 : v === 'degraded' ? 0.5 : 0);
      },
    });
  })();

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    // Counters alert rules watch with increase(): present at 0 from the start.
    this.configReloads.labels('success').inc(0);
    this.configReloads.labels('failure').inc(0);
  }
}
