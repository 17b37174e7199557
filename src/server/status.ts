import type { Policy } from '../config/schema.js';
import type { Handler, Reply } from '../pipeline/types.js';
import { VERSION } from '../version.js';

export type Component = 'operational' | 'degraded' | 'down';

/** Where the status endpoints read their facts; every function is cheap and synchronous. */
export interface StatusSources {
  environment: string;
  config(): { file: string | null; loadedAt: Date; lastReloadError: string | null; policy: Policy };
  upstream(): Component;
  store(): Component;
  draining(): boolean;
  breakers(): Record<string, { state: string; failure_rate: number; opened_at: string | null }>;
  rateLimits(): Record<string, { limited_total: number }>;
  caches(): Record<string, { entries: number; bytes: number; hits: number; misses: number; hit_ratio: number }>;
}

export function jsonReply(status: number, doc: unknown): Reply {
  const body = Buffer.from(JSON.stringify(doc));
  return {
    status,
    headers: { 'content-type': 'application/json', 'content-length': body.length, 'cache-control': 'no-store' },
    body,
  };
}

export function components(s: StatusSources): Record<string, Component> {
  const breakers = Object.values(s.breakers());
  return {
    upstream: s.upstream(),
    store: s.store(),
    circuit_breakers: (breakers.some((b) => b.state !== 'CLOSED') ? 'degraded' : 'operational') as Component,
    config: (s.config().lastReloadError === null ? 'operational' : 'degraded') as Component,
  };
}

function overall(c: Record<string, Component>): 'healthy' | 'degraded' | 'unhealthy' {
  if (c.upstream === 'down') return 'unhealthy';
  return Object.values(c).every((v) => v === 'operational') ? 'healthy' : 'degraded';
}

/**
 * The four status endpoints of SPEC §5, as handlers. /health is computed at
 * most once a second (probes and load balancers may call it often).
 */
export function statusHandlers(s: StatusSources, now: () => number = Date.now): Record<string, Handler> {
  let cached: { at: number; reply: Reply } | null = null;
  const health: Handler = async () => {
    const t = now();
    if (cached === null || t - cached.at >= 1000) {
      const status = overall(components(s));
      cached = { at: t, reply: jsonReply(status === 'healthy' ? 200 : 503, { status }) };
    }
    // Stages decorate reply headers: hand out a copy, never the cached object.
    return { status: cached.reply.status, headers: { ...cached.reply.headers }, body: cached.reply.body };
  };
  const liveness: Handler = async () => jsonReply(200, { status: 'alive' });
  const readiness: Handler = async () => {
    const reasons: string[] = [];
    if (s.draining()) reasons.push('draining');
    if (s.upstream() !== 'operational') reasons.push('upstream health check failing');
    return jsonReply(reasons.length ? 503 : 200, reasons.length ? { status: 'not_ready', reasons } : { status: 'ready' });
  };
  const system: Handler = async () => jsonReply(200, systemDoc(s));
  return {
    '/health': health,
    '/api/v1/status/liveness': liveness,
    '/api/v1/status/readiness': readiness,
    '/api/v1/status/system': system,
  };
}

export function systemDoc(s: StatusSources) {
  const c = components(s);
  const cfg = s.config();
  const p = cfg.policy;
  const perIp = Object.values(p.rate_limits).find((r) => r.key.kind === 'ip');
  const windowCount = (ms: number) => perIp?.limits.find((l) => l.window === ms)?.count ?? null;
  return {
    timestamp: new Date().toISOString(),
    version: VERSION,
    environment: s.environment,
    health: { status: overall(c), components: c },
    configuration: {
      file: cfg.file,
      loaded_at: cfg.loadedAt.toISOString(),
      last_reload_error: cfg.lastReloadError,
      rate_limit_per_minute: windowCount(60_000),
      rate_limit_per_hour: windowCount(3_600_000),
      cache_enabled: Object.keys(p.caches).length > 0,
      performance_logging: p.logging.slow_request > 0,
      store: p.store.kind,
      routes: p.routes.length,
    },
    circuit_breakers: s.breakers(),
    rate_limits: s.rateLimits(),
    caches: s.caches(),
  };
}
