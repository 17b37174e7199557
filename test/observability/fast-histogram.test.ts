import { describe, it, expect } from 'vitest';
import { Histogram, Counter, Registry } from 'prom-client';
import { CountOf, FastHistogram } from '../../src/observability/fast-histogram.js';

describe('FastHistogram', () => {
  it('exports exactly what prom-client would for the same observations', async () => {
    const buckets = [0.001, 0.01, 0.1, 1];
    const ours = new Registry();
    const theirs = new Registry();
    const fast = new FastHistogram({ name: 'h_seconds', help: 'h', labelNames: ['route', 'method'] as const, buckets, registers: [ours] });
    new CountOf({ name: 'h_total', help: 'c', of: fast as FastHistogram<string>, registers: [ours] });
    const ref = new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['route', 'method'], buckets, registers: [theirs] });
    const refCount = new Counter({ name: 'h_total', help: 'c', labelNames: ['route', 'method'], registers: [theirs] });
    const values: Array<[string, string, number]> = [
      ['/a', 'GET', 0.0005], ['/a', 'GET', 0.05], ['/a', 'GET', 3], ['/a', 'POST', 0.001], ['/b/*', 'GET', 0.2],
    ];
    for (const [route, method, v] of values) {
      fast.series(route, method).observe(v);
      ref.labels(route, method).observe(v);
      refCount.labels(route, method).inc();
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });
});
