import type { Policy } from './config/schema.js';
import { compilePattern } from './routing/pattern.js';
import { methodSet } from './routing/methods.js';
import { normalizeTarget } from './routing/normalize.js';
import { formatDuration } from './config/units.js';

type RouteDef = Policy['routes'][number];

/**
 * `sono-guard explain`: which route a request matches and every policy it
 * gets, in the order the pipeline applies them (SPEC §4).
 */
export function explain(policy: Policy, method: string, url: string): string {
  const m = method.toUpperCase();
  const raw = /^https?:\/\//i.test(url) ? new URL(url).pathname + new URL(url).search : url;
  const target = normalizeTarget(raw);
  if (target === null) return `${m} ${url}\n  rejected: 400 bad_request (the target cannot be normalised to a safe path)`;
  const lines = [`${m} ${target.path}${target.query}` + (target.path + target.query !== raw ? `   (normalised from ${raw})` : '')];
  const builtin = ['/health', '/api/v1/status/liveness', '/api/v1/status/readiness', '/api/v1/status/system'];
  if (builtin.includes(target.path)) {
    lines.push('  answered by sono-guard itself (status endpoint): never rate limited, never forwarded');
    return lines.join('\n');
  }
  const idx = policy.routes.findIndex(
    (r) => (methodSet(r.match.methods)?.has(m) ?? true) && compilePattern(r.match.path)(target.path),
  );
  const route = idx === -1 ? null : policy.routes[idx]!;
  lines.push(
    route
      ? `  route #${idx + 1}: ${route.match.path}${route.match.methods ? ' [' + route.match.methods.join(', ') + ']' : ''}`
      : '  route: none matches — forwarded with no policy',
  );
  describeRoute(policy, route).forEach((s, i) => lines.push(`  ${i + 1}. ${s}`));
  return lines.join('\n');
}

export function describeRoute(policy: Policy, r: RouteDef | null): string[] {
  const d = formatDuration;
  const steps = ['request id: X-Request-ID kept when valid, else a new UUID; traceparent passed or created', 'timing: X-Process-Time, Server-Timing'];
  const s = policy.server;
  if (s.allowed_hosts.length) steps.push(`host check: ${s.allowed_hosts.join(', ')} (others get 421)`);
  if (policy.cors) steps.push(`CORS: origins ${policy.cors.allow_origins.join(', ')}`);
  if (r) {
    if (r.rate_limit_off) steps.push('rate limit: off');
    for (const name of r.rate_limit) {
      const rl = policy.rate_limits[name]!;
      const key = rl.key.kind === 'header' ? `header:${rl.key.name}` : rl.key.kind;
      steps.push(`rate limit "${name}": ${rl.limits.map((l) => l.text).join(', ')} per ${key}${rl.mode === 'shadow' ? ' (shadow: never rejects)' : ''}, store ${policy.store.kind}`);
    }
    if (r.cache) {
      const c = policy.caches[r.cache]!;
      steps.push(
        `cache "${r.cache}": GET/HEAD only, default ttl ${d(c.ttl)}${c.max_ttl !== null ? `, max ttl ${d(c.max_ttl)}` : ''}, ` +
          `stale-while-revalidate ${d(c.stale_while_revalidate)}, stale-if-error ${d(c.stale_if_error)}` +
          (c.vary.length ? `, vary ${c.vary.join(', ')}` : '') +
          (policy.store.kind === 'redis' ? `, store redis${c.near_ttl > 0 ? ` (near copies for ${d(c.near_ttl)})` : ''}` : ''),
      );
    }
    if (r.invalidates.length) steps.push(`invalidates on 2xx: ${r.invalidates.join(', ')}`);
    if (r.breaker) {
      const b = policy.breakers[r.breaker]!;
      steps.push(
        `circuit breaker "${r.breaker}": opens at ${Math.round(b.failure_rate * 100)}% failures of the last ${b.window} calls (min ${b.min_calls}) ` +
          `or ${b.consecutive_failures} in a row; slow call ${d(b.slow_call)}; open for ${d(b.open_for)}; ${b.half_open_calls} half-open trials` +
          (b.mode === 'shadow' ? ' (shadow: never rejects)' : ''),
      );
    }
    if (r.retry) steps.push(`retry: up to ${r.retry.attempts} on ${r.retry.on.join(', ')} (idempotent requests only, budget ${Math.round(r.retry.budget * 100)}%)`);
  }
  const timeout = r?.timeout ?? policy.upstream.timeout;
  steps.push(`forward to ${policy.upstream.url} (response headers within ${d(timeout)}, else 504)`);
  return steps;
}
