import type { Counter, Histogram } from 'prom-client';
import type { Metrics } from '../observability/metrics.js';

interface Children {
  count: Counter.Internal;
  duration: Histogram.Internal<'route' | 'method' | 'status'>;
}

/**
 * Labelled metric children of one route, resolved once per (method, status)
 * pair and then reused: the per-request cost is a Map lookup, not a label
 * hash. `route` is the route pattern, so label values stay bounded.
 */
export class RouteMetrics {
  private children = new Map<string, Children>();
  private readonly upstream: Histogram.Internal<'route'>;

  constructor(
    private readonly m: Metrics,
    private readonly route: string,
  ) {
    this.upstream = m.upstreamDuration.labels(route);
  }

  record(method: string, status: number, seconds: number, upstreamMs: number): void {
    const key = method + status;
    let c = this.children.get(key);
    if (c === undefined) {
      const s = String(status);
      c = { count: this.m.httpRequests.labels(this.route, method, s), duration: this.m.httpDuration.labels(this.route, method, s) };
      this.children.set(key, c);
    }
    c.count.inc();
    c.duration.observe(seconds);
    if (upstreamMs >= 0) this.upstream.observe(upstreamMs / 1000);
  }
}
