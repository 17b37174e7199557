import type { IncomingMessage, ServerResponse, OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { UpstreamBody } from '../forward/body.js';

/**
 * What a stage hands back: a status, end-to-end headers and a body.
 * `body` is a Buffer for answers the proxy builds itself (errors, cache hits),
 * an UpstreamBody for the app's response as it arrives, a Readable for any
 * other stream (a cache fill's tee), or null for no body.
 */
export interface Reply {
  status: number;
  headers: OutgoingHttpHeaders;
  body: Buffer | UpstreamBody | Readable | null;
}

/** Facts stages record about one request; the log line and metrics read them at the end. */
export interface ExchangeFacts {
  /** Why the upstream call failed, when it did: connect error, header timeout, reset. */
  upstreamFailure: 'connect' | 'timeout' | 'reset' | null;
  /** Milliseconds from sending upstream to response headers; -1 when never sent. */
  upstreamMs: number;
  /** HIT | MISS | STALE | BYPASS, or null when the route has no cache. */
  cache: string | null;
  /** Name of the rate-limit policy that rejected (or, in shadow mode, would have rejected). */
  limitedBy: string | null;
  /** Name of the breaker guarding the route, with its state when the request passed. */
  breaker: string | null;
}

export type Handler = (x: import('./exchange.js').Exchange) => Promise<Reply>;
export type Stage = (next: Handler) => Handler;

export type { IncomingMessage, ServerResponse };
