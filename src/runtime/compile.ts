import type { Pool } from 'undici';
import type { Logger } from 'pino';
import type { Policy } from '../config/schema.js';
import type { Metrics } from '../observability/metrics.js';
import type { Handler, Stage } from '../pipeline/types.js';
import { assemble, NO_STAGES, type RouteStages } from '../pipeline/pipeline.js';
import { forward, createUpstreamPool } from '../pipeline/stages/forward.js';
import { hostCheck } from '../pipeline/stages/host.js';
import { corsStage } from '../pipeline/stages/cors.js';
import { bodyLimit } from '../pipeline/stages/body-limit.js';
import { compilePattern, type PathMatcher } from '../routing/pattern.js';
import { methodSet } from '../routing/methods.js';
import { RouteMetrics } from './route-metrics.js';
import type { StateRegistry } from './registry.js';
import { CircuitBreaker } from '../breaker/circuit-breaker.js';
import { RetryBudget } from '../breaker/retry-budget.js';
import { breakerStage } from '../pipeline/stages/breaker.js';
import { retryStage } from '../pipeline/stages/retry.js';
import { RateLimiter, createRateLimitStore, type RateLimitStore } from '../ratelimit/index.js';
import { rateLimit } from '../pipeline/stages/rate-limit.js';
import { createGuardedRedis, type GuardedRedis } from '../store/redis.js';
import { createResponseCache, type ResponseCache } from '../cache/index.js';
import { cacheStage, invalidateStage } from '../pipeline/stages/cache.js';

type RouteDef = Policy['routes'][number];

export interface CompiledRoute {
  /** Route pattern (or a fixed name for built-in answers): the bounded `route` label. */
  readonly label: string;
  readonly methods: ReadonlySet<string> | null;
  readonly matches: PathMatcher;
  readonly handler: Handler;
  /**
   * The admission part of the chain for a WebSocket upgrade on this route
   * (request id, host check, rate limit, breaker): 101 means go ahead. An
   * upgrade must not be a way around the route's policies.
   */
  readonly admit: Handler;
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
  readonly caches: ReadonlyMap<string, ResponseCache>;
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
  // One host check, CORS stage and body limit per policy, shared by every route.
  const edge: Edge = { host, cors: policy.cors ? corsStage(policy.cors) : null, limitBody: bodyLimit(policy.server.max_body_bytes) };
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
  // A cache's registry key includes where it stores: moving it to Redis (or to
  // a new Redis connection) builds a new one instead of keeping the old store.
  const storeKey = st.kind === 'redis' ? { url: st.url, timeout: st.timeout, prefix: st.prefix } : 'memory';
  const caches = new Map(
    Object.entries(policy.caches).map(([name, def]) => [
      name,
      ctx.registry.get('cache', name, { def, store: storeKey }, () =>
        createResponseCache(name, def, { metrics: ctx.metrics, redis, prefix: st.prefix }),
      ),
    ]),
  );
  const named: Named = { breakers, limiters, caches, allCaches: [...caches.values()], rlStore: createRateLimitStore(st, redis?.guard) };
  const routes = policy.routes.map((r, i) => compileRoute(r, i, r.match.path, policy, ctx, named, pool, base, bodyTimeout, edge));
  // A request no route matches is forwarded with no policy (and still evicts what it changes).
  const fallback = compileRoute(NO_POLICY, -1, '-', policy, ctx, named, pool, base, bodyTimeout, edge);

  function match(method: string, path: string): CompiledRoute {
    for (let i = 0; i < routes.length; i++) {
      const r = routes[i]!;
      if ((r.methods === null || r.methods.has(method)) && r.matches(path)) return r;
    }
    return fallback;
  }
  return Object.freeze({ policy, pool, breakers, limiters, caches, redis, routes, fallback, match });
}

/** Stages every route of a policy shares; the body limit sits right in front of forward. */
interface Edge {
  host: RouteStages['host'];
  cors: RouteStages['cors'];
  limitBody: Stage;
}

interface Named {
  breakers: ReadonlyMap<string, CircuitBreaker>;
  limiters: ReadonlyMap<string, RateLimiter>;
  caches: ReadonlyMap<string, ResponseCache>;
  allCaches: readonly ResponseCache[];
  rlStore: RateLimitStore;
}

const switching: Handler = async () => ({ status: 101, headers: {}, body: null });

const NO_POLICY: RouteDef = {
  match: { path: '/**', methods: null },
  rate_limit: [],
  rate_limit_off: false,
  breaker: null,
  cache: null,
  invalidates: [],
  timeout: null,
  retry: null,
};

function compileRoute(
  r: RouteDef,
  index: number,
  label: string,
  policy: Policy,
  ctx: CompileContext,
  named: Named,
  pool: Pool,
  base: string,
  bodyTimeout: number,
  edge: Edge,
): CompiledRoute {
  const timeout = r.timeout ?? policy.upstream.timeout;
  const stages: RouteStages = { ...NO_STAGES, host: edge.host, cors: edge.cors };
  if (r.rate_limit.length > 0) {
    const limiters = r.rate_limit.map((n) => named.limiters.get(n)!);
    stages.rateLimit = rateLimit({ limiters, store: named.rlStore, route: label, metrics: ctx.metrics });
  }
  if (r.cache !== null) {
    stages.cache = cacheStage(named.caches.get(r.cache)!, { waitMs: timeout, caches: named.allCaches, invalidates: r.invalidates });
  } else if (named.allCaches.length > 0) {
    // Unsafe methods evict what they change (RFC 9111 §4.4) and the route's `invalidates`.
    stages.cache = invalidateStage(named.allCaches, r.invalidates);
  }
  const breaker = r.breaker === null ? null : named.breakers.get(r.breaker)!;
  if (breaker) stages.breaker = breakerStage(breaker);
  if (r.retry !== null) {
    const retry = r.retry;
    // One budget per route (index and pattern: two routes may share a pattern with different methods).
    const budget = ctx.registry.get('retry-budget', `${index}:${label}`, retry, () => new RetryBudget({ ratio: retry.budget }));
    stages.retry = retryStage(retry, { budget, breaker });
  }
  const admit = assemble({ ...NO_STAGES, host: edge.host, rateLimit: stages.rateLimit, breaker: stages.breaker }, switching);
  return {
    label,
    admit,
    methods: methodSet(r.match.methods),
    matches: compilePattern(r.match.path),
    handler: assemble(stages, edge.limitBody(forward(pool, timeout, bodyTimeout, base))),
    metrics: new RouteMetrics(ctx.metrics, label),
  };
}
