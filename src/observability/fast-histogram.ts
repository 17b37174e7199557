import type { Registry } from 'prom-client';

/**
 * A histogram for the per-request metrics, exported through prom-client's
 * registry at scrape time. prom-client's own labelled children still
 * validate and hash their labels on every observe (about 0.3 µs each, three
 * per request); here a series is resolved once and an observation is a
 * bucket search and three additions. The request counter
 * (`http_requests_total`) is read off the same series' counts.
 */
export class FastHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly all = new Map<string, HistogramSeries>();

  readonly name: string;
  readonly help: string;
  private readonly labelNames: readonly L[];
  private readonly buckets: readonly number[];

  constructor(o: { name: string; help: string; labelNames: readonly L[]; buckets: readonly number[]; registers: [Registry] }) {
    this.name = o.name;
    this.help = o.help;
    this.labelNames = o.labelNames;
    this.buckets = o.buckets;
    o.registers[0].registerMetric(this as never);
  }

  /** The series for these label values (in `labelNames` order), created on first use. */
  series(...values: string[]): HistogramSeries {
    const key = values.join('\u0000');
    let s = this.all.get(key);
    if (s === undefined) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => (labels[n] = values[i]!));
      s = new HistogramSeries(labels, this.buckets);
      this.all.set(key, s);
    }
    return s;
  }

  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> }> {
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
    for (const s of this.all.values()) {
      let acc = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        acc += s.counts[i]!;
        values.push({ labels: { le: this.buckets[i]!, ...s.labels }, value: acc, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  /** Every series' count, as the counter `name` exports it. */
  counts(): Array<{ labels: Record<string, string>; value: number }> {
    return [...this.all.values()].map((s) => ({ labels: s.labels, value: s.count }));
  }

  reset(): void {
    this.all.clear();
  }
}

export class HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Record<string, string>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(v: number): void {
    this.sum += v;
    this.count++;
    const b = this.bounds;
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }
}

/** A counter exported from a FastHistogram's series counts (one observation = one request). */
export class CountOf {
  readonly type = 'counter';
  readonly aggregator = 'sum';

  readonly name: string;
  readonly help: string;
  private readonly of: FastHistogram<string>;

  constructor(o: { name: string; help: string; of: FastHistogram<string>; registers: [Registry] }) {
    this.name = o.name;
    this.help = o.help;
    this.of = o.of;
    o.registers[0].registerMetric(this as never);
  }

  get() {
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.of.counts() });
  }

  reset(): void {}
}
