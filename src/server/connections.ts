import type { Server } from 'node:net';
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { answerAndClose, rawProblem } from './client-errors.js';

/**
 * `server.max_connections`: client connections beyond the cap get a short
 * 503 problem+json (`Retry-After: 1`) and are closed before the HTTP layer
 * sees them, so they can never reach the app.
 *
 * Node's own `server.maxConnections` closes the socket without a word, which
 * a client cannot tell from a crash. Here every TCP connection is counted on
 * `connection`; the check runs where the HTTP layer would take the socket
 * over: `connection` for plain HTTP, `secureConnection` for HTTPS (a refusal
 * must be written inside TLS to be readable). That listener is taken off the
 * server and called only for admitted sockets.
 *
 * The code is `rate_limited` with status 503: the closed code set has no
 * "overloaded" entry, and this is a concurrency limit, not a broken app.
 */
export function capConnections(server: Server, httpEvent: 'connection' | 'secureConnection', max: () => number, log: Logger): { open(): number } {
  let open = 0;
  let lastWarn = 0;
  const inner = server.listeners(httpEvent) as Array<(s: Socket) => void>;
  server.removeAllListeners(httpEvent);
  server.prependListener('connection', (socket: Socket) => {
    open++;
    socket.once('close', () => open--);
  });
  server.on(httpEvent, (socket: Socket) => {
    if (open > max()) {
      const id = randomUUID();
      socket.resume(); // read and discard whatever the client sends meanwhile
      answerAndClose(socket, rawProblem(id, 'rate_limited', 'The proxy is at its connection limit (server.max_connections); retry shortly', 503, { 'retry-after': 1 }));
      const now = Date.now();
      // One line per second at most: a connection flood must not become a log flood.
      if (now - lastWarn >= 1000) {
        lastWarn = now;
        log.warn({ request_id: id, open, max: max(), client_ip: socket.remoteAddress ?? null }, 'Connection refused: server.max_connections reached');
      }
      return;
    }
    for (const l of inner) l.call(server, socket);
  });
  return { open: () => open };
}
