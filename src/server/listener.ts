import http from 'node:http';
import https from 'node:https';
import { Server as TlsServer } from 'node:tls';
import type { Logger } from 'pino';
import type { OpenExchanges } from './inflight.js';
import { clientErrorHandler, connectHandler, expectationFailed } from './client-errors.js';
import { capConnections } from './connections.js';
import { ExchangeDeadlines } from './deadlines.js';
import { CertificateWatcher, hstsValue, readPem, secureOptions, type TlsDef, type WatchOptions } from './tls.js';

/** The `server:` fields the main listener is built from (times in ms, sizes in bytes). */
export interface ListenerDef {
  max_header_bytes: number;
  header_timeout: number;
  request_timeout: number;
  idle_timeout: number;
  max_connections: number;
  max_body_bytes: number;
  tls: TlsDef | null;
}

/** What the request handler needs from the listener. */
export interface EdgeOptions {
  proto: 'http' | 'https';
  /** Strict-Transport-Security value for every response, or null. */
  hsts: string | null;
}

export interface MainListener {
  server: http.Server;
  scheme: 'http' | 'https';
  deadlines: ExchangeDeadlines;
  certificates: CertificateWatcher | null;
  openConnections(): number;
}

/**
 * The main listener with finite limits on everything a client controls:
 * header size (431), time to send the headers (408, slowloris), time to send
 * the whole request (408), idle keep-alive time, concurrent connections
 * (503), the whole exchange (`ExchangeDeadlines`), TLS handshake time. Every
 * refusal is problem+json, including the ones Node's parser makes.
 *
 * Socket-level settings are fixed when the listener starts; limits read per
 * connection or request (`max_connections`, `max_body_bytes`,
 * `request_timeout`) follow reloads through `current()`.
 */
export function createMainListener(
  def: ListenerDef,
  current: () => Pick<ListenerDef, 'max_connections' | 'max_body_bytes' | 'request_timeout'>,
  makeHandler: (edge: EdgeOptions) => http.RequestListener,
  /** The exchanges in flight, in arrival order (the request handler keeps it). */
  inflight: OpenExchanges,
  log: Logger,
  watch?: WatchOptions,
): MainListener {
  // Node refuses a headers timeout longer than the request timeout.
  const headersTimeout = Math.min(def.header_timeout, def.request_timeout);
  const options: http.ServerOptions = {
    maxHeaderSize: def.max_header_bytes,
    headersTimeout,
    requestTimeout: def.request_timeout,
    keepAliveTimeout: def.idle_timeout,
    // framing.ts answers a missing Host with problem+json (Node's own 400 is empty).
    requireHostHeader: false,
    // Node checks both timeouts on this period; its 30 s default would let a
    // slowloris client stay connected up to 30 s past header_timeout.
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4))),
  };
  const deadlines = new ExchangeDeadlines(inflight, () => current().request_timeout);
  const scheme = def.tls ? 'https' : 'http';
  const handler = makeHandler({ proto: scheme, hsts: hstsValue(def.tls) });

  let server: http.Server;
  let certificates: CertificateWatcher | null = null;
  if (def.tls) {
    const pem = readPem(def.tls);
    // A client that opens TCP and never finishes the handshake is a slowloris too.
    const s = https.createServer({ ...options, ...secureOptions(pem), handshakeTimeout: headersTimeout }, handler);
    certificates = new CertificateWatcher(s, def.tls, pem, log, watch);
    server = s;
  } else {
    server = http.createServer(options, handler);
  }

  server.on('clientError', clientErrorHandler(log));
  server.on('connect', connectHandler(log));
  server.on('checkExpectation', expectationFailed(log));
  // `Expect: 100-continue`: a body declared too large gets its 413 without
  // first inviting the client to send it.
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const cl = req.headers['content-length'];
    if (cl === undefined || Number(cl) <= current().max_body_bytes) res.writeContinue();
    handler(req, res);
  });
  const connections = capConnections(server, def.tls ? 'secureConnection' : 'connection', () => current().max_connections, log);
  server.once('listening', () => deadlines.start());
  server.once('close', () => {
    deadlines.close();
    certificates?.close();
  });
  return { server, scheme, deadlines, certificates, openConnections: connections.open };
}

/** `http` or `https`, for the listener's URL. */
export function schemeOf(server: http.Server): 'http' | 'https' {
  return server instanceof TlsServer ? 'https' : 'http';
}
