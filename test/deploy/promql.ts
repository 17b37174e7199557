// PromQL helpers for the deploy tests: the metric names of SPEC §6 and the
// metric names an expression uses. A full PromQL parser is out of reach here
// (promtool parses, but not everywhere the tests run), and the subset the
// rules and the dashboard use is small: strip strings, label matchers, ranges
// and grouping clauses, then every identifier not called like a function is a
// metric name.

/** SPEC §6, "Prometheus names": metric → type. */
export const SPEC_METRICS: Readonly<Record<string, 'counter' | 'histogram' | 'gauge'>> = {
  http_requests_total: 'counter',
  http_request_duration_seconds: 'histogram',
  upstream_request_duration_seconds: 'histogram',
  http_requests_limited_total: 'counter',
  circuit_breaker_state: 'gauge',
  circuit_breaker_transitions_total: 'counter',
  cache_hits_total: 'counter',
  cache_misses_total: 'counter',
  cache_stale_served_total: 'counter',
  cache_entries: 'gauge',
  cache_bytes: 'gauge',
  config_reloads_total: 'counter',
  store_errors_total: 'counter',
};

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'offset', 'bool', 'inf', 'nan']);

/** Metric names an expression selects (Grafana variables such as `$__rate_interval` allowed). */
export function metricNames(expr: string): string[] {
  let s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // string literals
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ') // Grafana variables
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' '); // ranges and subqueries
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of s.matchAll(/(?<![\w.:])[A-Za-z_:][\w:]*/g)) {
    const rest = s.slice(m.index + m[0].length);
    if (/^\s*\(/.test(rest) || KEYWORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names];
}

/** The SPEC §6 metric a series name belongs to (`_bucket`/`_sum`/`_count` of a histogram), or null. */
export function specMetric(series: string): string | null {
  if (series in SPEC_METRICS) return SPEC_METRICS[series] === 'histogram' ? null : series;
  const m = /^(.*)_(bucket|sum|count)$/.exec(series);
  return m && SPEC_METRICS[m[1]!] === 'histogram' ? m[1]! : null;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
export function githubAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const h = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!h) continue;
    const base = h[1]!.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}
