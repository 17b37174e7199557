import type { Gauge } from 'prom-client';
import type { Metrics } from '../observability/metrics.js';
import type { StoreStats } from './types.js';

/** What the gauges read from a cache at scrape time. */
export interface GaugeSource {
  readonly name: string;
  statsAsync(): Promise<StoreStats>;
}

/**
 * `cache_entries` / `cache_bytes` are filled at scrape time by a prom-client
 * `collect()` hook that reads every live cache of that Metrics registry, so
 * the values are exact and a cache removed by a reload disappears from the
 * scrape instead of keeping its last value.
 */
const live = new WeakMap<Metrics, Set<GaugeSource>>();

type Collectable = Gauge & { collect?: () => Promise<void> };

export function trackGauges(metrics: Metrics, src: GaugeSource): void {
  let set = live.get(metrics);
  if (!set) {
    const caches = new Set<GaugeSource>();
    set = caches;
    live.set(metrics, caches);
    const entries = metrics.cacheEntries as Collectable;
    const bytes = metrics.cacheBytes as Collectable;
    // One read per scrape feeds both gauges: the first collect reads, the second reuses it.
    let pending: Promise<Array<[string, StoreStats]>> | null = null;
    const read = () => {
      if (!pending) {
        pending = Promise.all([...caches].map(async (c) => [c.name, await c.statsAsync()] as [string, StoreStats]));
        const clear = () => { pending = null; };
        pending.then(clear, clear);
      }
      return pending;
    };
    entries.collect = async () => {
      const all = await read();
      entries.reset();
      for (const [name, s] of all) entries.labels(name).set(s.entries);
    };
    bytes.collect = async () => {
      const all = await read();
      bytes.reset();
      for (const [name, s] of all) bytes.labels(name).set(s.bytes);
    };
  }
  set.add(src);
}

export function untrackGauges(metrics: Metrics, src: GaugeSource): void {
  live.get(metrics)?.delete(src);
}
