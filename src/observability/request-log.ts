import type { Logger } from 'pino';
import type { Exchange } from '../pipeline/exchange.js';

/**
 * The one line written per request, from the facts stages recorded on the
 * exchange. `warn` when slower than `logging.slow_request`, `error` when the
 * proxy answered 5xx itself.
 */
export function logRequest(log: Logger, x: Exchange, status: number, durationMs: number, slowMs: number): void {
  const level = x.errorCode !== null && status >= 500 ? 'error' : durationMs > slowMs ? 'warn' : 'info';
  if (!log.isLevelEnabled(level)) return;
  log[level](
    {
      request_id: x.id,
      method: x.method,
      path: x.path,
      route: x.routeLabel,
      status_code: status,
      duration_ms: round(durationMs),
      upstream_ms: x.upstreamMs >= 0 ? round(x.upstreamMs) : null,
      client_ip: x.clientIp,
      cache: x.cache,
      limited_by: x.limitedBy,
      breaker: x.breaker,
      ...(x.errorCode !== null ? { error_code: x.errorCode } : null),
    },
    `Request completed: ${x.method} ${x.path} returned ${status} in ${(durationMs / 1000).toFixed(3)}s`,
  );
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
