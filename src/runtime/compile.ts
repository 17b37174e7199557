import type { Pool } from 'undici';
import type { Logger } from 'pino';
import type { Policy } from '../config/schema.js';
import type { Metrics } from '../observability/metrics.js';
import type { Handler } from '../pipeline/types.js';
import { assemble, NO_STAGES, type RouteStages } from '../pipeline/pipeline.js';
import { forward, createUpstreamPool } from '../pipeline/stages/forward.js';
import { hostCheck } from '../pipeline/stages/host.js';
import { compilePattern, type PathMatcher } from '../routing/pattern.js';
import { RouteMetrics } from './route-metrics.js';
import type { StateRegistry } from './registry.js';
import { CircuitBreaker } from '../breaker/circuit-breaker.js';
import { RetryBudget } from '../breaker/retry-budget.js';
import { breakerStage } from '../pipeline/stages/breaker.js';
import { retryStage } from '../pipeline/stages/retry.js';
import { RateLimiter, createRateLimitStore, type RateLimitStore } from '../ratelimit/index.js';
import { rateLimit } from '../pipeline/stages/rate-limit.js';
import { createGuardedRedis, type GuardedRedis } from '../store/redis.js';

type RouteDef = Policy['routes'][number];

export interface CompiledRoute {
  /** Route pattern (or a fixed name for built-in answers): the bounded `route` label. */
  readonly label: string;
  readonly methods: ReadonlySet<string> | null;
  readonly matches: PathMatcher;
  readonly handler: Handler;
  readonly metrics: RouteMetrics;
}

export interface CompileContext {
  registry: StateRegistry;
  metrics: Metrics;
  logger: Logger;
}

/** Everything a request needs from the policy, compiled once per load and frozen. */
export interface Compiled {
  readonly policy: Policy;
  readonly pool: Pool;
  /** Every named breaker of the policy (used by a route or not: admin can force any). */
  readonly breakers: ReadonlyMap<string, CircuitBreaker>;
  readonly limiters: ReadonlyMap<string, RateLimiter>;
  /** The guarded Redis connection when `store.kind` is redis (one connection, one health). */
  readonly redis: GuardedRedis | null;
  readonly routes: readonly CompiledRoute[];
  /** For requests no route matches: forwarded with no policy. */
  readonly fallback: CompiledRoute;
  match(method: string, path: string): CompiledRoute;
}

export function compile(policy: Policy, ctx: CompileContext): Compiled {
  const pool = ctx.registry.get('upstream', 'pool', policy.upstream, () => createUpstreamPool(policy.upstream));
  const base = new URL(policy.upstream.url).pathname.replace(/\/$/, '');
  const host = policy.server.allowed_hosts.length > 0 ? hostCheck(policy.server.allowed_hosts) : null;
  const bodyTimeout = policy.upstream.timeout;

  // One instance per named policy, kept across reloads while its definition is unchanged.
  const breakers = new Map(
    Object.entries(policy.breakers).map(([name, def]) => [
      name,
      ctx.registry.get('breaker', name, def, () => new CircuitBreaker({ name, def, metrics: ctx.metrics, logger: ctx.logger })),
    ]),
  );
  const st = policy.store;
  const redis =
    st.kind === 'redis' && st.url !== null
      ? ctx.registry.get('store', 'redis', { url: st.url, timeout: st.timeout }, () =>
          createGuardedRedis({ url: st.url!, timeout: st.timeout }, { metrics: ctx.metrics, logger: ctx.logger }),
        )
      : null;
  const limiters = new Map(
    Object.entries(policy.rate_limits).map(([name, def]) => [
      name,
      ctx.registry.get('rate_limit', name, def, () => new RateLimiter(name, def, { metrics: ctx.metrics })),
    ]),
  );
  const named: Named = { breakers, limiters, rlStore: createRateLimitStore(st, redis?.guard) };
  const routes = policy.routes.map((r, i) => compileRoute(r, i, policy, ctx, named, pool, base, bodyTimeout, host));
  const fallback: CompiledRoute = {
    label: '-',
    methods: null,
    matches: () => true,
    handler: assemble({ ...NO_STAGES, host }, forward(pool, policy.upstream.timeout, bodyTimeout, base)),
    metrics: new RouteMetrics(ctx.metrics, '-'),
  };

  function match(method: string, path: string): CompiledRoute {
    for (let i = 0; i < routes.length; i++) {
      const r = routes[i]!;
      if ((r.methods === null || r.methods.has(method)) && r.matches(path)) return r;
    }
    return fallback;
  }
  return Object.freeze({ policy, pool, breakers, limiters, redis, routes, fallback, match });
}

interface Named {
  breakers: ReadonlyMap<string, CircuitBreaker>;
  limiters: ReadonlyMap<string, RateLimiter>;
  rlStore: RateLimitStore;
}

function compileRoute(
  r: RouteDef,
  index: number,
  policy: Policy,
  ctx: CompileContext,
  named: Named,
  pool: Pool,
  base: string,
  bodyTimeout: number,
  host: RouteStages['host'],
): CompiledRoute {
  const label = r.match.path;
  const timeout = r.timeout ?? policy.upstream.timeout;
  const stages: RouteStages = { ...NO_STAGES, host };
  if (r.rate_limit.length > 0) {
    const limiters = r.rate_limit.map((n) => named.limiters.get(n)!);
    stages.rateLimit = rateLimit({ limiters, store: named.rlStore, route: label, metrics: ctx.metrics });
  }
  const breaker = r.breaker === null ? null : named.breakers.get(r.breaker)!;
  if (breaker) stages.breaker = breakerStage(breaker);
  if (r.retry !== null) {
    const retry = r.retry;
    // One budget per route (index and pattern: two routes may share a pattern with different methods).
    const budget = ctx.registry.get('retry-budget', `${index}:${label}`, retry, () => new RetryBudget({ ratio: retry.budget }));
    stages.retry = retryStage(retry, { budget, breaker });
  }
  return {
    label,
    methods: r.match.methods ? new Set(r.match.methods) : null,
    matches: compilePattern(r.match.path),
    handler: assemble(stages, forward(pool, timeout, bodyTimeout, base)),
    metrics: new RouteMetrics(ctx.metrics, label),
  };
}
