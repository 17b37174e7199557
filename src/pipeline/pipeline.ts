import type { Handler, Reply, Stage } from './types.js';
import type { Exchange } from './exchange.js';
import { assignRequestId } from './stages/request-id.js';
import { stampTiming } from './stages/timing.js';

/**
 * The stages one route needs, built at load time. A policy the route does not
 * use is `null` here, so no stage for it exists at request time.
 */
export interface RouteStages {
  host: Stage | null;
  cors: Stage | null;
  rateLimit: Stage | null;
  cache: Stage | null;
  breaker: Stage | null;
  retry: Stage | null;
}

export const NO_STAGES: RouteStages = { host: null, cors: null, rateLimit: null, cache: null, breaker: null, retry: null };

/**
 * SPEC §4, outermost first:
 * request id → timing → host check → CORS → rate limit → cache → breaker → retry → forward
 */
export function assemble(s: RouteStages, terminal: Handler): Handler {
  const order: Array<Stage | null> = [
    identified,  // request id, then timing: every header and log line carries the id; the proxy's own errors are timed too
    s.host,      // 421 before any policy spends budget on a misdirected request
    s.cors,      // preflights are answered here and never count against a limit
    s.rateLimit, // a rejected request reaches neither the cache nor the app
    s.cache,     // before the breaker: stale_if_error answers while the breaker is open
    s.breaker,   // sees each forwarded call's outcome (after its retries)
    s.retry,     // inside the breaker, around the one call to the app
  ];
  let h = terminal;
  for (let i = order.length - 1; i >= 0; i--) {
    const st = order[i];
    if (st) h = st(h);
  }
  return h;
}

/**
 * The two outermost stages, request id then timing, as one wrapper: each of
 * them as an async function of its own cost a promise and a microtask turn
 * per request. A stage that throws synchronously still becomes a rejection
 * (answered 500 by the request handler), as it would inside an async stage.
 */
const identified: Stage = (next) =>
  function identify(x: Exchange): Promise<Reply> {
    assignRequestId(x);
    let p: Promise<Reply>;
    try {
      p = next(x);
    } catch (err) {
      return Promise.reject(err);
    }
    return p.then((reply) => {
      stampTiming(x, reply);
      reply.headers['x-request-id'] = x.id;
      return reply;
    });
  };
