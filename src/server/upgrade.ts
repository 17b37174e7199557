import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { createProxyServer } from 'http-proxy-3';
import type { Logger } from 'pino';
import { normalizeTarget } from '../routing/normalize.js';

/**
 * WebSocket (HTTP Upgrade) pass-through. undici carries the HTTP path; for
 * upgrades http-proxy-3 is the better tool: it passes an upstream refusal
 * (e.g. 403) through instead of turning it into a 502. The target is
 * normalised like any request and the Host allowlist applies; the request id
 * is set as for HTTP.
 */
export function upgradeHandler(getUpstream: () => string, allowedHost: (host: string) => boolean, log: Logger, open: Set<Duplex>) {
  const ws = createProxyServer({ ws: true, xfwd: true });
  ws.on('error', (err, req, socket) => {
    log.warn({ path: req?.url, error: (err as Error).message }, 'WebSocket pass-through failed');
    const s = socket as Duplex | undefined;
    if (s && !s.destroyed) s.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    // Upgraded sockets leave the HTTP server's bookkeeping: track them so shutdown can end them.
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    const target = normalizeTarget(req.url ?? '/');
    if (target === null) return refuse(socket, 400, 'Bad Request');
    if (!allowedHost((req.headers.host ?? '').toLowerCase())) return refuse(socket, 421, 'Misdirected Request');
    req.url = target.path + target.query;
    const id = req.headers['x-request-id'];
    if (typeof id !== 'string' || !/^[A-Za-z0-9._:-]{1,128}$/.test(id)) req.headers['x-request-id'] = randomUUID();
    ws.ws(req, socket, head, { target: getUpstream() });
  };
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
