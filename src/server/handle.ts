import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { Exchange } from '../pipeline/exchange.js';
import { problem } from '../pipeline/problem.js';
import { stampTiming } from '../pipeline/stages/timing.js';
import type { Reply } from '../pipeline/types.js';
import { normalizeTarget, type Target } from '../routing/normalize.js';
import { logRequest } from '../observability/request-log.js';
import type { CompiledRoute } from '../runtime/compile.js';
import { respond } from './respond.js';
import type { InFlight } from './inflight.js';
import { distrust, framingError, isDistrusted, rejectFraming, VALID_HOST } from './framing.js';

/** What the request handler reads from the live configuration: swapped whole on reload. */
export interface Live {
  match(method: string, path: string): CompiledRoute;
  /** Answers of the proxy itself on the main listener (status endpoints), by exact path. */
  builtins: ReadonlyMap<string, CompiledRoute>;
  /** The chain that renders a 400 for a target that cannot be normalised. */
  badTarget: CompiledRoute;
  clientIp(req: IncomingMessage): { ip: string; trusted: boolean };
  slowMs: number;
}

/**
 * The main listener's request handler: build the exchange, normalise the
 * target once (routing, caching, limits and forwarding all use that form),
 * pick the route's compiled chain, write its reply, and account for the
 * request once when the response is done.
 */
export function requestHandler(getLive: () => Live, log: Logger, proto: 'http' | 'https', inflight: InFlight, hsts: string | null = null) {
  return function onRequest(req: IncomingMessage, res: ServerResponse): void {
    // Parsed after a badly framed request on this connection: never handled, the connection is closing.
    if (isDistrusted(req.socket)) return;
    const x = new Exchange(req, res, process.hrtime.bigint());
    inflight.add(x);
    // HTTPS with server.tls.hsts: on every response, the proxy's own errors included.
    if (hsts !== null) res.setHeader('strict-transport-security', hsts);
    // Draining: finish this request, then close the connection.
    if (inflight.draining) res.shouldKeepAlive = false;
    // Requests in flight keep the configuration they started with.
    const live = getLive();
    identify(x, live, proto);
    // Smuggling-prone framing Node's parser lets through: 400, connection closed.
    const badFraming = framingError(req);
    const target = badFraming === null ? parseTarget(req.url ?? '/', x) : null;
    let route: CompiledRoute;
    if (target === null) {
      route = live.badTarget;
    } else {
      x.path = target.path;
      x.query = target.query;
      route = live.builtins.get(target.path) ?? live.match(x.method, target.path);
    }
    x.routeLabel = route.label;
    // on(), not once(): a response closes once, and once() wraps and later removes the listener.
    res.on('close', () => {
      inflight.delete(x);
      done(x, route, live.slowMs, log);
    });
    let handler = route.handler;
    if (badFraming !== null) {
      res.shouldKeepAlive = false;
      distrust(req.socket);
      handler = rejectFraming(badFraming);
    }
    handler(x).then(
      (reply) => respond(res, reply, x.method === 'HEAD'),
      (err: unknown) => respond(res, internalError(x, err, log), false),
    );
  };
}

/** Who is asking and for which host: the facts every stage may read, set before routing. */
export function identify(x: Exchange, live: Live, proto: 'http' | 'https'): void {
  const ip = live.clientIp(x.req);
  x.clientIp = ip.ip;
  x.peerTrusted = ip.trusted;
  x.proto = proto;
  const hostHeader = x.req.headers.host;
  x.host = hostHeader === undefined ? '' : hostHeader.toLowerCase();
}

const ABSOLUTE = /^https?:\/\/([^/?#]*)(.*)$/is;

/**
 * Origin form as is; absolute form (`GET http://host/p`) becomes origin form
 * and its authority the host, for the host check and upstream alike (RFC 9112
 * §3.2.2: the Host header is then ignored and replaced). The path goes
 * through the same normaliser as origin form (a URL parser would silently
 * turn `\` into `/` and resolve `%2e%2e`). Userinfo (`http://a@host/`) is
 * refused.
 */
export function parseTarget(url: string, x: Exchange): Target | null {
  if (url.charCodeAt(0) === 47) return normalizeTarget(url);
  const m = ABSOLUTE.exec(url);
  if (m === null) return null;
  const authority = m[1]!;
  if (authority === '' || !VALID_HOST.test(authority)) return null;
  const rest = m[2]!;
  const target = normalizeTarget(rest.charCodeAt(0) === 47 ? rest : '/' + rest);
  if (target === null) return null;
  x.host = authority.toLowerCase();
  x.req.headers.host = authority;
  return target;
}

/** A stage threw: answer 500 with no internals, keep the request id and timing headers. */
function internalError(x: Exchange, err: unknown, log: Logger): Reply {
  log.error({ request_id: x.id, err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err) }, 'Unexpected error while handling a request');
  const reply = problem(x, 'internal_error', 'The proxy failed to handle this request');
  stampTiming(x, reply);
  reply.headers['x-request-id'] = x.id;
  return reply;
}

function done(x: Exchange, route: CompiledRoute, slowMs: number, log: Logger): void {
  const res = x.res;
  let status = res.statusCode;
  if (!res.writableFinished) {
    x.abort.abort();
    if (!res.headersSent) status = 499;
  }
  const ms = x.elapsedMs();
  route.metrics.record(x.method, status, ms / 1000, x.upstreamMs);
  logRequest(log, x, status, ms, slowMs);
}
