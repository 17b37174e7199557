import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ROOT, onPath } from './cli.js';
import { readRepoFile } from './pod.js';
import { githubAnchors, metricNames, specMetric } from './promql.js';

interface Rule { alert: string; expr: string; for?: string; labels: Record<string, string>; annotations: Record<string, string> }
interface AlertTest { alertname: string; exp_alerts: unknown[] }

const rules = (parse(readRepoFile('deploy/prometheus/alerts.yaml')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules);
const tests = (parse(readRepoFile('deploy/prometheus/alerts.test.yaml')) as { tests: Array<{ alert_rule_test: AlertTest[] }> })
  .tests.flatMap((t) => t.alert_rule_test);
const byName = (name: string) => rules.find((r) => r.alert === name)!;

describe('deploy/prometheus/alerts.yaml', () => {
  it('has the alerts of the production plan', () => {
    const expr = (name: string) => byName(name).expr.replace(/\s+/g, ' ').trim();
    expect(expr('SonoGuardCircuitBreakerOpen')).toMatch(/circuit_breaker_state\{.*\}\) == 1$/);
    expect(byName('SonoGuardCircuitBreakerOpen').for).toBe('0m');
    expect(expr('SonoGuardHighErrorRate')).toMatch(/status=~"5\.\."/);
    expect(expr('SonoGuardHighErrorRate')).toMatch(/\[5m\].*> 0\.05$/);
    expect(expr('SonoGuardHighLatency')).toMatch(/^histogram_quantile\(0\.99, sum by \(namespace, job, route, le\) \(rate\(http_request_duration_seconds_bucket\{.*\}\[5m\]\)\) \) > 5$/);
    expect(expr('SonoGuardRateLimitRejections')).toMatch(/rate\(http_requests_limited_total\{.*\}\[5m\]\)\) \* 60 > 10$/);
    expect(expr('SonoGuardDown')).toMatch(/\bup\{/);
    expect(expr('SonoGuardUpstreamUnhealthy')).toContain('/api/v1/status/readiness');
    expect(expr('SonoGuardStoreDegraded')).toContain('store_errors_total');
    expect(expr('SonoGuardConfigReloadFailed')).toMatch(/increase\(config_reloads_total\{.*result="failure"\}\[10m\]\) > 0/);
  });

  it.each(rules.map((r) => [r.alert, r] as const))('%s: severity, summary, description, and a runbook that exists', (_name, r) => {
    expect(['critical', 'warning', 'info']).toContain(r.labels.severity);
    expect(r.annotations.summary).toBeTruthy();
    expect(r.annotations.description).toBeTruthy();
    const m = /\/deploy\/README\.md#([\w-]+)$/.exec(r.annotations.runbook_url ?? '');
    expect(m, r.annotations.runbook_url).not.toBeNull();
    expect([...githubAnchors(readRepoFile('deploy/README.md'))]).toContain(m![1]);
  });

  it.each(rules.map((r) => [r.alert, r] as const))('%s: uses SPEC §6 metrics of sono-guard only', (_name, r) => {
    for (const name of metricNames(r.expr)) {
      if (name !== 'up') expect(specMetric(name), name).not.toBeNull();
    }
    expect(r.expr).toMatch(/job=~"\.\*sono-guard\.\*"/);
    for (const selector of r.expr.match(/\w+\{[^}]*\}/g) ?? []) expect(selector).toContain('job=~".*sono-guard.*"');
  });

  it.each(rules.map((r) => [r.alert] as const))('%s: the promtool tests make it fire and stay silent', (name) => {
    const cases = tests.filter((t) => t.alertname === name);
    expect(cases.some((t) => t.exp_alerts.length > 0), 'a case where it fires').toBe(true);
    expect(cases.some((t) => t.exp_alerts.length === 0), 'a case where it does not').toBe(true);
  });
});

const promtool = onPath('promtool');
const title = promtool
  ? 'promtool check rules and promtool test rules pass (deploy/prometheus/check.sh)'
  : 'promtool check/test rules: SKIPPED, promtool is not on PATH (apt-get install prometheus; CI installs it)';

describe.skipIf(!promtool)('promtool', () => {
  it(title, () => {
    const r = spawnSync('bash', [path.join(ROOT, 'deploy/prometheus/check.sh')], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});
if (!promtool) console.warn(`test/deploy/alerts.test.ts: ${title}`);
