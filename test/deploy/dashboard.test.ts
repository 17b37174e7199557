import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { onPath } from './cli.js';
import { readRepoFile } from './pod.js';
import { SPEC_METRICS, metricNames, specMetric } from './promql.js';

interface Target { expr: string; datasource?: { uid?: string } }
interface Panel {
  id: number; type: string; title: string; datasource?: { type?: string; uid?: string };
  gridPos: { x: number; y: number; w: number; h: number }; targets?: Target[]; panels?: Panel[];
}

const DS = '${DS_PROMETHEUS}';
const dashboard = JSON.parse(readRepoFile('deploy/grafana/sono-guard.json')) as {
  __inputs: Array<{ name: string; type: string; pluginId: string }>; uid: string; title: string; panels: Panel[];
  templating: { list: Array<{ name: string; datasource?: { uid?: string }; query: { query: string } }> };
};
const panels: Panel[] = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const graphs = panels.filter((p) => p.type !== 'row');
const exprs = graphs.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

describe('deploy/grafana/sono-guard.json', () => {
  it('takes its Prometheus as the DS_PROMETHEUS input, everywhere', () => {
    expect(dashboard.__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' })]);
    expect(dashboard.uid).toBe('sono-guard');
    for (const p of graphs) {
      expect(p.datasource?.uid, p.title).toBe(DS);
      for (const t of p.targets ?? []) expect(t.datasource?.uid ?? DS, p.title).toBe(DS);
    }
    for (const v of dashboard.templating.list) expect(v.datasource?.uid, v.name).toBe(DS);
  });

  it('panels have unique ids and do not overlap on the 24-column grid', () => {
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const cells = new Set<string>();
    for (const p of panels) {
      const g = p.gridPos;
      expect(g.x + g.w, p.title).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it('every metric a panel or variable uses is one of SPEC §6, and every SPEC §6 metric is shown', () => {
    const used = new Set<string>();
    for (const e of exprs) {
      for (const name of metricNames(e)) {
        expect(specMetric(name), `${name} in ${e}`).not.toBeNull();
        used.add(specMetric(name)!);
      }
    }
    for (const v of dashboard.templating.list) {
      const m = /^label_values\((\w+)/.exec(v.query.query);
      expect(m && specMetric(m[1]!), v.query.query).not.toBeNull();
    }
    expect([...used].sort()).toEqual(Object.keys(SPEC_METRICS).sort());
  });

  it('shows what operators look at first', () => {
    const titles = graphs.map((p) => p.title.toLowerCase());
    for (const t of ['request rate', 'latency p50 / p99', '4xx and 5xx responses', 'rate-limit rejections by policy', 'breaker state', 'cache hit ratio', 'cache bytes per pod', 'cache entries per pod', 'store errors', 'policy reloads']) {
      expect(titles, t).toContain(t);
    }
    const latency = graphs.find((p) => p.title === 'Latency p50 / p99')!.targets!.map((t) => t.expr);
    expect(latency.some((e) => e.startsWith('histogram_quantile(0.5,'))).toBe(true);
    expect(latency.some((e) => e.startsWith('histogram_quantile(0.99,'))).toBe(true);
  });

  it('SPEC §6 names are the ones src/observability/metrics.ts declares', () => {
    const source = readRepoFile('src/observability/metrics.ts');
    for (const name of Object.keys(SPEC_METRICS)) expect(source, name).toContain(`name: '${name}'`);
  });
});

// Dashboard queries as recording rules: promtool parses every expression.
describe.skipIf(!onPath('promtool'))('dashboard queries are valid PromQL (promtool)', () => {
  it('promtool check rules accepts every panel expression', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sono-guard-dashboard-'));
    try {
      const vars = (e: string) => e.replace(/\$__rate_interval/g, '5m').replace(/\$\w+/g, '.*');
      const rules = exprs.map((e, i) => ({ record: `dashboard:expr_${i}`, expr: vars(e) }));
      const file = path.join(dir, 'dashboard-rules.yaml');
      writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
      const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
