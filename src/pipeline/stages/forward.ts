import { Pool, errors } from 'undici';
import type { Exchange } from '../exchange.js';
import type { Handler, Reply } from '../types.js';
import { problem } from '../problem.js';
import { upstreamRequestHeaders, responseHeaders } from '../../forward/headers.js';
import { UpstreamBody } from '../../forward/body.js';

export interface UpstreamDef {
  url: string;
  connect_timeout: number;
  timeout: number;
  max_connections: number;
}

/** One keep-alive pool to the app, shared by every route and kept across reloads while `upstream` is unchanged. */
export function createUpstreamPool(u: UpstreamDef): Pool {
  return new Pool(new URL(u.url).origin, {
    connections: u.max_connections,
    pipelining: 1,
    connectTimeout: u.connect_timeout,
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 60_000,
  });
}

/**
 * undici arms its headers and body timeouts on a timer wheel that ticks about
 * every half second, so they fire up to a second late (a 300 ms route timeout
 * answered after ~970 ms). Below this, the route timeout gets a native timer
 * of its own; above it, the wheel's error is a small share of the wait.
 */
const PRECISE_BELOW_MS = 10_000;

/**
 * The last stage: send the request to the app and hand back its response with
 * the body still streaming (undici applies backpressure both ways). A failure
 * becomes a problem reply with `x.upstreamFailure` set, so the breaker and the
 * cache see an outcome value, never an exception.
 */
export function forward(pool: Pool, headersTimeout: number, bodyTimeout: number, basePath: string): Handler {
  const precise = headersTimeout < PRECISE_BELOW_MS;
  return function forwardToUpstream(x: Exchange): Promise<Reply> {
    const req = x.req;
    const h = req.headers;
    const headers = upstreamRequestHeaders(h, x);
    if (x.upstreamHeaders !== null) Object.assign(headers, x.upstreamHeaders);
    const hasBody = h['content-length'] !== undefined ? h['content-length'] !== '0' : h['transfer-encoding'] !== undefined;
    return new Promise<Reply>((resolve) => {
      const call = new UpstreamCall(x, resolve, precise ? headersTimeout : 0);
      pool.dispatch(
        {
          path: basePath + x.path + x.query,
          method: x.method,
          headers,
          body: hasBody ? (x.upstreamBody ?? req) : null,
          headersTimeout,
          bodyTimeout,
        },
        call,
      );
    });
  };
}

/**
 * One call to the app, as undici's dispatch handler (its lowest-level API:
 * no response stream, no promise of its own; see UpstreamBody). Resolves
 * with the reply at the response headers; failures before them become a
 * problem reply, failures after them fail the body.
 */
class UpstreamCall {
  private abortFn: ((err: Error) => void) | null = null;
  private cancelled: Error | null = null;
  private body: UpstreamBody | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timedOut = false;
  private readonly t0 = performance.now();

  constructor(
    private readonly x: Exchange,
    private resolve: ((r: Reply) => void) | null,
    timeoutMs: number,
  ) {
    // The client leaving ends the call, for as long as the body streams.
    x.abort.on('abort', () => this.cancel(new errors.RequestAbortedError()));
    if (timeoutMs > 0) {
      // A timeout ends this call without abandoning the exchange (a retry
      // or stale-if-error may still answer).
      this.timer = setTimeout(() => {
        this.timedOut = true;
        this.cancel(new errors.HeadersTimeoutError());
      }, timeoutMs);
    }
  }

  private cancel(err: Error): void {
    if (this.abortFn !== null) this.abortFn(err);
    else this.cancelled = err;
  }

  onConnect(abort: (err: Error) => void): void {
    if (this.cancelled !== null) abort(this.cancelled);
    else this.abortFn = abort;
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void): boolean {
    if (status < 200) return true; // 1xx: not relayed
    this.settle();
    const body = new UpstreamBody(resume, (err) => this.abortFn?.(err ?? new errors.RequestAbortedError()));
    this.body = body;
    this.resolve!({ status, headers: responseHeaders(raw), body });
    this.resolve = null;
    return true;
  }

  onData(chunk: Buffer): boolean {
    return this.body!.push(chunk);
  }

  onComplete(): void {
    this.body!.end();
  }

  onError(err: Error): void {
    if (this.body !== null) {
      this.body.fail(err);
      return;
    }
    if (this.resolve === null) return;
    this.settle();
    const resolve = this.resolve;
    this.resolve = null;
    resolve(upstreamError(this.x, this.timedOut ? new errors.HeadersTimeoutError() : err));
  }

  private settle(): void {
    this.x.upstreamMs = performance.now() - this.t0;
    if (this.timer !== null) clearTimeout(this.timer);
  }
}

function upstreamError(x: Exchange, err: unknown): Reply {
  if (x.abort.aborted) {
    // The client went away; nobody reads this answer. 499 as NGINX logs it.
    return { status: 499, headers: {}, body: null };
  }
  if (err instanceof errors.HeadersTimeoutError) {
    x.upstreamFailure = 'timeout';
    return problem(x, 'upstream_timeout', 'The upstream service did not answer in time');
  }
  const code = (err as { code?: string }).code;
  if (err instanceof errors.ConnectTimeoutError || code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EAI_AGAIN') {
    x.upstreamFailure = 'connect';
    return problem(x, 'upstream_unavailable', 'The upstream service is not reachable');
  }
  x.upstreamFailure = 'reset';
  return problem(x, 'upstream_unavailable', 'The upstream connection failed before a response');
}
