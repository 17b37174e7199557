import type { IncomingMessage, ServerResponse } from 'node:http';
import { EventEmitter } from 'node:events';
import type { ExchangeFacts } from './types.js';
import type { Readable } from 'node:stream';

/**
 * One request's state, created once per request with every field assigned in
 * the constructor (a stable shape for V8). Stages record facts here instead of
 * logging; the log line and the metrics are written once, at the end.
 */
export class Exchange implements ExchangeFacts {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** process.hrtime.bigint() at arrival, in nanoseconds. */
  readonly startNs: bigint;
  /** Request id (validated incoming X-Request-ID or a fresh UUID). */
  id: string;
  method: string;
  /** Normalised path (no query), used for routing, caching and forwarding. */
  path: string;
  /** Raw query string including the leading '?', or '' */
  query: string;
  /** Host header (lower-cased, may include port), or '' */
  host: string;
  /** Canonical client IP (TCP peer or right-most untrusted X-Forwarded-For hop). */
  clientIp: string;
  /** The matched route's pattern ("-" when none matched); a bounded metrics label. */
  routeLabel: string;
  /** Aborted when the client goes away before the response is finished. */
  readonly abort: Cancel;
  /** W3C traceparent sent upstream: the incoming one when valid, else a new one. */
  traceparent: string;
  /** True when the TCP peer is in `server.trusted_proxies`. */
  peerTrusted: boolean;
  /** Scheme the client used to reach the proxy. */
  proto: 'http' | 'https';
  /** Headers a stage adds to (or overrides in) the upstream request, e.g. conditional revalidation. */
  upstreamHeaders: Record<string, string> | null;
  /** Body sent upstream in place of `req` (the body-limit stage's counting stream), or null for `req` itself. */
  upstreamBody: Readable | null;

  upstreamFailure: ExchangeFacts['upstreamFailure'];
  upstreamMs: number;
  cache: string | null;
  limitedBy: string | null;
  breaker: string | null;
  /** Set when the proxy itself produced the answer (problem+json), with its code. */
  errorCode: string | null;

  constructor(req: IncomingMessage, res: ServerResponse, startNs: bigint) {
    this.req = req;
    this.res = res;
    this.startNs = startNs;
    this.id = '';
    this.method = req.method ?? 'GET';
    this.path = '/';
    this.query = '';
    this.host = '';
    this.clientIp = '';
    this.routeLabel = '-';
    this.abort = new Cancel();
    this.traceparent = '';
    this.peerTrusted = false;
    this.proto = 'http';
    this.upstreamHeaders = null;
    this.upstreamBody = null;
    this.upstreamFailure = null;
    this.upstreamMs = -1;
    this.cache = null;
    this.limitedBy = null;
    this.breaker = null;
    this.errorCode = null;
  }

  /** Milliseconds since the request arrived. */
  elapsedMs(): number {
    return Number(process.hrtime.bigint() - this.startNs) / 1e6;
  }
}

/**
 * "Abandon this exchange": emits `abort` once. undici accepts an EventEmitter
 * as a request signal, and this one costs about 0.1 µs per request where an
 * AbortController with undici's listener on it measured about 7 µs here.
 * `signal` makes a real AbortSignal on first use, for the few APIs that need
 * one (abortable timers).
 */
export class Cancel extends EventEmitter {
  aborted = false;
  private ac: AbortController | null = null;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
    this.ac?.abort();
  }

  get signal(): AbortSignal {
    if (this.ac === null) {
      this.ac = new AbortController();
      if (this.aborted) this.ac.abort();
    }
    return this.ac.signal;
  }
}
