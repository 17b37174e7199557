import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ExchangeFacts } from './types.js';
import type { Readable } from 'node:stream';
import { traceparentOf } from './stages/request-id.js';

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
  /** True when `id` is a UUID the proxy made (a created trace id then reuses it). */
  idGenerated: boolean;
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
  private tp: string;
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
  /** Neighbours in the list of requests in flight (server/inflight.ts); null outside it. */
  olderOpen: Exchange | null;
  newerOpen: Exchange | null;

  constructor(req: IncomingMessage, res: ServerResponse, startNs: bigint) {
    this.req = req;
    this.res = res;
    this.startNs = startNs;
    this.id = '';
    this.idGenerated = false;
    this.method = req.method ?? 'GET';
    this.path = '/';
    this.query = '';
    this.host = '';
    this.clientIp = '';
    this.routeLabel = '-';
    this.abort = new Cancel();
    this.tp = '';
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
    this.olderOpen = null;
    this.newerOpen = null;
  }

  /** W3C traceparent sent upstream: the incoming one when valid, else a new one (made on first read, after the request id). */
  get traceparent(): string {
    if (this.tp === '') this.tp = traceparentOf(this);
    return this.tp;
  }

  /** Milliseconds since the request arrived. */
  elapsedMs(): number {
    return Number(process.hrtime.bigint() - this.startNs) / 1e6;
  }
}

/**
 * "Abandon this exchange": runs its listeners once. undici accepts any object
 * with `on`/`once`/`removeListener` as a request signal; this one is the
 * least that contract needs (no EventEmitter set-up per request, no once
 * wrapper). An AbortController with undici's listener on it measured about
 * 7 µs per request here, an EventEmitter about 0.1 µs; this is less again.
 * `signal` makes a real AbortSignal on first use, for the few APIs that need
 * one (abortable timers).
 */
export class Cancel {
  aborted = false;
  private listeners: Array<() => void> | null = null;
  private ac: AbortController | null = null;

  on(_event: 'abort', fn: () => void): this {
    if (this.listeners === null) this.listeners = [fn];
    else this.listeners.push(fn);
    return this;
  }

  /** `abort` happens once, so `once` is `on`. */
  once(event: 'abort', fn: () => void): this {
    return this.on(event, fn);
  }

  removeListener(_event: 'abort', fn: () => void): this {
    const l = this.listeners;
    if (l !== null) {
      const i = l.indexOf(fn);
      if (i !== -1) l.splice(i, 1);
    }
    return this;
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const l = this.listeners;
    this.listeners = null;
    if (l !== null) for (const fn of l) fn();
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
