import type { ServerResponse } from 'node:http';
import { discardBody, UpstreamBody } from '../forward/body.js';
import type { Reply } from '../pipeline/types.js';

/**
 * Write a reply to the client. Buffers are written in one go, and so is an
 * upstream body that is already complete; a body still arriving or a stream
 * is written with backpressure, and if it fails after the headers went out
 * the client connection is destroyed so the truncation is visible (never a
 * silently short body that looks complete).
 */
export function respond(res: ServerResponse, reply: Reply, headOnly: boolean): void {
  if (res.headersSent || res.destroyed) {
    destroyBody(reply);
    return;
  }
  res.writeHead(reply.status, reply.headers);
  const body = reply.body;
  if (body === null || headOnly) {
    destroyBody(reply);
    res.end();
  } else if (body instanceof UpstreamBody) {
    // The client leaving aborts the exchange, and with it the upstream call.
    body.sendTo(res);
  } else if (Buffer.isBuffer(body)) {
    res.end(body);
  } else {
    // pipe() rather than stream.pipeline(): pipeline allocates an
    // AbortController (and a DOMException on finish) per response.
    body.on('error', () => res.destroy());
    res.once('close', () => {
      if (!body.readableEnded) body.destroy();
    });
    body.pipe(res);
  }
}

/** Discard a body nobody will read. */
export function destroyBody(reply: Reply): void {
  discardBody(reply.body);
}
