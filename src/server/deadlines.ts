import type { Exchange } from '../pipeline/exchange.js';
import { problem } from '../pipeline/problem.js';
import { respond } from './respond.js';
import type { OpenExchanges } from './inflight.js';

/**
 * `server.request_timeout` as a bound on the whole exchange: from the first
 * byte of the request to the last byte of the response, body streaming both
 * ways included. Node's own `requestTimeout` only covers receiving the
 * request; without this a client reading one byte a second (or an app
 * trickling its body) would hold a client connection and an upstream
 * connection for as long as it likes.
 *
 * No timer per request: one sweep over the exchanges in flight (the list the
 * shutdown path keeps anyway), in arrival order, stopping at the first one
 * still within its time. Nothing is added to the request path.
 *
 * An expired exchange is answered 408 `request_timeout` if nothing was sent
 * yet, else its connection is cut (a truncated body must look truncated);
 * either way its upstream call is aborted.
 */
export class ExchangeDeadlines {
  private timer: NodeJS.Timeout | null = null;
  private readonly expired = new WeakSet<Exchange>();

  constructor(
    private readonly open: OpenExchanges,
    private readonly limitMs: () => number,
  ) {}

  start(): void {
    if (this.timer === null) this.schedule();
  }

  /** Expire every exchange older than the limit at `nowNs`; returns how many. Exposed for tests. */
  sweep(nowNs: bigint = process.hrtime.bigint()): number {
    const ms = this.limitMs();
    const limit = BigInt(Math.round(ms * 1e6));
    let n = 0;
    for (const x of this.open) {
      if (nowNs - x.startNs <= limit) break;
      // Still in the set until its response closes: expire it once.
      if (this.expired.has(x)) continue;
      this.expired.add(x);
      expire(x, ms);
      n++;
    }
    return n;
  }

  close(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    // A quarter of the limit, between 20 ms and 1 s: late by at most that much.
    const tick = Math.max(20, Math.min(1000, this.limitMs() / 4));
    this.timer = setTimeout(() => {
      this.sweep();
      this.schedule();
    }, tick);
    this.timer.unref();
  }
}

function expire(x: Exchange, limitMs: number): void {
  const res = x.res;
  if (!res.headersSent && !res.destroyed) {
    res.shouldKeepAlive = false;
    const reply = problem(x, 'request_timeout', `The exchange took longer than server.request_timeout (${limitMs} ms)`);
    const ms = x.elapsedMs();
    reply.headers['x-request-id'] = x.id;
    reply.headers['x-process-time'] = (ms / 1000).toFixed(4);
    reply.headers['server-timing'] = `proxy;dur=${ms.toFixed(3)}, upstream;dur=0.000`;
    respond(res, reply, false);
  } else if (!res.writableFinished) {
    res.destroy();
  }
  x.abort.abort();
}
