import type { Metrics } from '../observability/metrics.js';
import type { HistogramSeries } from '../observability/fast-histogram.js';

/**
 * The metric series of one route, resolved once per (method, status) pair and
 * reused: the per-request cost is a Map lookup and a bucket search. `route`
 * is the route pattern, so label values stay bounded.
 */
export class RouteMetrics {
  private readonly byKey = new Map<string, HistogramSeries>();
  private readonly upstream: HistogramSeries;

  constructor(
    private readonly m: Metrics,
    private readonly route: string,
  ) {
    this.upstream = m.upstreamDuration.series(route);
  }

  record(method: string, status: number, seconds: number, upstreamMs: number): void {
    const key = method + status;
    let s = this.byKey.get(key);
    if (s === undefined) {
      s = this.m.httpDuration.series(this.route, method, String(status));
      this.byKey.set(key, s);
    }
    s.observe(seconds);
    if (upstreamMs >= 0) this.upstream.observe(upstreamMs / 1000);
  }
}
