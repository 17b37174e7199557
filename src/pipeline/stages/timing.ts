import type { Exchange } from '../exchange.js';
import type { Reply } from '../types.js';

/**
 * Every response, the proxy's own errors included, carries X-Process-Time
 * (seconds from arrival to response headers) and Server-Timing with the
 * proxy's own share (`proxy`, total minus upstream) and the upstream's time
 * to response headers (`upstream`, 0 when the app was not called).
 */
export function stampTiming(x: Exchange, reply: Reply): void {
  const total = x.elapsedMs();
  const up = x.upstreamMs > 0 ? x.upstreamMs : 0;
  reply.headers['x-process-time'] = (total / 1000).toFixed(4);
  reply.headers['server-timing'] = `proxy;dur=${(total - up).toFixed(3)}, upstream;dur=${up.toFixed(3)}`;
}
