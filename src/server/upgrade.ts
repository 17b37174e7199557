import { ServerResponse, STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createRequire } from 'node:module';
import type { ProxyServer } from 'http-proxy-3';
import type { Logger } from 'pino';
import { Exchange } from '../pipeline/exchange.js';
import type { Reply } from '../pipeline/types.js';
import { logRequest } from '../observability/request-log.js';
import { identify, parseTarget, type Live } from './handle.js';
import { answerAndClose, rawProblem } from './client-errors.js';

/**
 * WebSocket (HTTP Upgrade) pass-through. undici carries the HTTP path; for
 * upgrades http-proxy-3 is the better tool: it passes an upstream refusal
 * (e.g. 403) through instead of turning it into a 502.
 *
 * An upgrade is admitted like a request first: the target is normalised, the
 * route matched, and the route's admission chain (request id, host check,
 * rate limit, breaker) must answer 101 — otherwise its answer (421, 429,
 * 503...) is written and the socket closed. Only `GET` with
 * `Upgrade: websocket` is passed on; any other Upgrade is refused with 400, so
 * an `Upgrade` header is never a way around the route's policies.
 */
export function upgradeHandler(getLive: () => Live, getUpstream: () => string, log: Logger, open: Set<Duplex>, proto: 'http' | 'https') {
  // Made at the first upgrade: http-proxy-3 costs ~10 MiB of RSS loaded, and most deployments never see one.
  let proxy: ProxyServer | null = null;
  const wsProxy = (): ProxyServer => {
    if (proxy !== null) return proxy;
    const { createProxyServer } = require('http-proxy-3') as typeof import('http-proxy-3');
    const ws = createProxyServer({ ws: true, xfwd: true });
    ws.on('error', (err, req, socket) => {
      log.warn({ path: req?.url, error: (err as Error).message }, 'WebSocket pass-through failed');
      const s = socket as Duplex | undefined;
      const id = req?.headers['x-request-id'];
      if (s && !s.destroyed) answerAndClose(s, rawProblem(typeof id === 'string' ? id : '-', 'upstream_unavailable', 'The upstream refused the WebSocket connection'));
    });
    return (proxy = ws);
  };
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    // Upgraded sockets leave the HTTP server's bookkeeping: track them so shutdown can end them.
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    const live = getLive();
    const x = new Exchange(req, new ServerResponse(req), process.hrtime.bigint());
    identify(x, live, proto);
    const target = parseTarget(req.url ?? '/', x);
    const websocket = req.method === 'GET' && String(req.headers.upgrade).toLowerCase() === 'websocket';
    if (target === null || !websocket || live.builtins.has(target.path)) {
      const detail = target === null ? 'The request target is not a valid path' : 'Only GET with "Upgrade: websocket" can be upgraded here';
      return answerAndClose(socket, rawProblem(validId(req) ?? '-', 'bad_request', detail));
    }
    x.path = target.path;
    x.query = target.query;
    const route = live.match('GET', target.path);
    x.routeLabel = route.label;
    route.admit(x).then(
      (reply) => {
        req.headers['x-request-id'] = x.id;
        req.headers.traceparent = x.traceparent;
        const ms = x.elapsedMs();
        route.metrics.record('GET', reply.status, ms / 1000, -1);
        logRequest(log, x, reply.status, ms, live.slowMs);
        if (reply.status !== 101) return answerAndClose(socket, serialise(reply));
        req.url = target.path + target.query;
        wsProxy().ws(req, socket, head, { target: getUpstream() });
      },
      () => answerAndClose(socket, rawProblem(x.id || '-', 'internal_error', 'The proxy failed to handle this upgrade')),
    );
  };
}

function validId(req: IncomingMessage): string | null {
  const id = req.headers['x-request-id'];
  return typeof id === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(id) ? id : null;
}

/** A refusal from the admission chain, as raw bytes for the socket (there is no ServerResponse in an upgrade). */
function serialise(reply: Reply): Buffer {
  let head = `HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? 'Error'}\r\nconnection: close\r\n`;
  for (const [k, v] of Object.entries(reply.headers)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) head += `${k}: ${String(one)}\r\n`;
  }
  const body = Buffer.isBuffer(reply.body) ? reply.body : Buffer.alloc(0);
  return Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), body]);
}

const require = createRequire(import.meta.url);
