import type { ServerResponse } from 'node:http';
import type { Reply } from '../pipeline/types.js';

/**
 * Write a reply to the client. Buffers are written in one go; an upstream
 * stream is piped with backpressure, and if it fails after the headers went
 * out the client connection is destroyed so the truncation is visible (never
 * a silently short body that looks complete).
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
  } else if (Buffer.isBuffer(body)) {
    res.end(body);
  } else {
    // pipe() rather than stream.pipeline(): pipeline allocates an
    // AbortController (and a DOMException on finish) per response, a
    // measurable share of a forwarded request's CPU.
    body.on('error', () => res.destroy());
    res.once('close', () => {
      if (!body.readableEnded) body.destroy();
    });
    body.pipe(res);
  }
}

/** Discard a body nobody will read. undici bodies emit an error when destroyed unread: swallow it. */
export function destroyBody(reply: Reply): void {
  const b = reply.body;
  if (b !== null && !Buffer.isBuffer(b)) {
    b.on('error', noop);
    b.destroy();
  }
}

const noop = () => {};
