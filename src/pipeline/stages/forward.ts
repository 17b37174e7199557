import { Pool, errors } from 'undici';
import { Cancel, type Exchange } from '../exchange.js';
import type { Handler, Reply } from '../types.js';
import { problem } from '../problem.js';
import { upstreamRequestHeaders, stripResponseHopByHop } from '../../forward/headers.js';

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
 * The last stage: send the request to the app and hand back its response with
 * the body still streaming (undici applies backpressure both ways). A failure
 * becomes a problem reply with `x.upstreamFailure` set, so the breaker and the
 * cache see an outcome value, never an exception.
 */
/**
 * undici arms its headers and body timeouts on a timer wheel that ticks about
 * every half second, so they fire up to a second late (a 300 ms route timeout
 * answered after ~970 ms). Below this, the route timeout gets a native timer
 * of its own; above it, the wheel's error is a small share of the wait.
 */
const PRECISE_BELOW_MS = 10_000;

export function forward(pool: Pool, headersTimeout: number, bodyTimeout: number, basePath: string): Handler {
  const precise = headersTimeout < PRECISE_BELOW_MS;
  return async function forwardToUpstream(x: Exchange): Promise<Reply> {
    const req = x.req;
    const h = req.headers;
    const headers = upstreamRequestHeaders(h, x);
    if (x.upstreamHeaders !== null) Object.assign(headers, x.upstreamHeaders);
    const hasBody = h['content-length'] !== undefined ? h['content-length'] !== '0' : h['transfer-encoding'] !== undefined;
    let signal = x.abort;
    let timer: NodeJS.Timeout | null = null;
    let timedOut = false;
    if (precise) {
      // This call's own cancel: the timeout ends it without abandoning the
      // exchange (a retry or stale-if-error may still answer); the client
      // leaving, for as long as the body streams, still ends it.
      const call = new Cancel();
      x.abort.on('abort', () => call.abort());
      timer = setTimeout(() => {
        timedOut = true;
        call.abort();
      }, headersTimeout);
      signal = call;
    }
    const t0 = performance.now();
    try {
      const r = await pool.request({
        path: basePath + x.path + x.query,
        method: x.method,
        headers,
        body: hasBody ? (x.upstreamBody ?? req) : null,
        signal,
        headersTimeout,
        bodyTimeout,
      });
      x.upstreamMs = performance.now() - t0;
      return { status: r.statusCode, headers: stripResponseHopByHop(r.headers), body: r.body };
    } catch (err) {
      x.upstreamMs = performance.now() - t0;
      return upstreamError(x, timedOut ? new errors.HeadersTimeoutError() : err);
    } finally {
      if (timer !== null) clearTimeout(timer);
    }
  };
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
