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

  const routes = policy.routes.map((r) => compileRoute(r, policy, ctx, pool, base, bodyTimeout, host));
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
  return Object.freeze({ policy, pool, routes, fallback, match });
}

function compileRoute(
  r: RouteDef,
  policy: Policy,
  ctx: CompileContext,
  pool: Pool,
  base: string,
  bodyTimeout: number,
  host: RouteStages['host'],
): CompiledRoute {
  const label = r.match.path;
  const timeout = r.timeout ?? policy.upstream.timeout;
  const stages: RouteStages = { ...NO_STAGES, host };
  return {
    label,
    methods: r.match.methods ? new Set(r.match.methods) : null,
    matches: compilePattern(r.match.path),
    handler: assemble(stages, forward(pool, timeout, bodyTimeout, base)),
    metrics: new RouteMetrics(ctx.metrics, label),
  };
}
