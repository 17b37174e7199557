import { Transform, type TransformCallback } from 'node:stream';
import type { Exchange } from '../exchange.js';
import type { Reply, Stage } from '../types.js';
import { problem } from '../problem.js';
import { discardBody } from '../../forward/body.js';

/**
 * `server.max_body_bytes`, right in front of forward (one stage per policy,
 * shared by every route).
 *
 *  - Content-Length over the limit: 413 at once; nothing reaches the app.
 *  - Chunked body: the bytes are counted as they stream through to the app;
 *    the chunk that crosses the limit is never passed on, and the upstream
 *    request is aborted there, so the app sees an interrupted body, never a
 *    complete one. 413 if the response has not started yet.
 *  - No body (the common GET): two header reads, nothing else.
 *
 * Either way the connection closes after the 413 (the rest of the body is not
 * worth reading), and the exchange is marked abandoned (`x.abort`) so the
 * breaker outside ignores it: an oversized body says nothing about the app's
 * health and must not take or pass a half-open trial.
 */
export function bodyLimit(maxBytes: number): Stage {
  return (next) =>
    function limitBody(x: Exchange): Promise<Reply> {
      const h = x.req.headers;
      const cl = h['content-length'];
      if (cl !== undefined) {
        // llhttp guarantees digits only; compare lengths first so a 30-digit value needs no parsing.
        return cl.length > 15 || Number(cl) > maxBytes ? Promise.resolve(tooLarge(x, maxBytes)) : next(x);
      }
      if (h['transfer-encoding'] === undefined) return next(x);
      return streamed(x, maxBytes, next);
    };
}

async function streamed(x: Exchange, maxBytes: number, next: (x: Exchange) => Promise<Reply>): Promise<Reply> {
  const counter = new ByteLimit(maxBytes, x);
  const req = x.req;
  counter.on('error', noop); // undici adds its own listener when it starts reading
  // pipe() does not forward errors: a client that disconnects mid-body must end the upstream body too.
  req.once('error', (err) => counter.destroy(err));
  req.pipe(counter);
  x.upstreamBody = counter;
  const reply = await next(x);
  if (!counter.exceeded) return reply;
  discard(reply);
  return tooLarge(x, maxBytes);
}

function tooLarge(x: Exchange, maxBytes: number): Reply {
  x.res.shouldKeepAlive = false;
  x.upstreamFailure = null;
  x.abort.abort();
  return problem(x, 'payload_too_large', `The request body is larger than ${maxBytes} bytes (server.max_body_bytes)`);
}

function discard(reply: Reply): void {
  discardBody(reply.body);
}

/** Passes chunks through until `max` bytes; the crossing chunk aborts the exchange instead. */
export class ByteLimit extends Transform {
  seen = 0;
  exceeded = false;

  constructor(
    private readonly max: number,
    private readonly x: Exchange,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen <= this.max) {
      cb(null, chunk);
      return;
    }
    this.exceeded = true;
    // Abort first (undici cancels the upstream request), then fail the stream:
    // the body never ends cleanly, so the app never sees its last chunk.
    this.x.abort.abort();
    cb(new Error('request body over server.max_body_bytes'));
  }
}

function noop(): void {}
