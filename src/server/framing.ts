import type { IncomingMessage } from 'node:http';
import type { Handler } from '../pipeline/types.js';
import { problem } from '../pipeline/problem.js';
import { assemble, NO_STAGES } from '../pipeline/pipeline.js';

/**
 * Framing checks Node's parser leaves to the application (see
 * client-errors.ts for what it rejects itself). Each one closes a request
 * smuggling or cache-poisoning gap between the proxy and the app:
 *
 *  - an HTTP version other than 1.0/1.1 in a text request (`GET / HTTP/2.0`);
 *  - Transfer-Encoding on HTTP/1.0 (RFC 9112 §6.1: the framing is faulty);
 *  - any Transfer-Encoding other than exactly `chunked`: llhttp accepts
 *    `gzip, chunked`, but the proxy re-frames the body for the app and would
 *    silently drop the gzip coding;
 *  - an HTTP/1.1 request without Host, more than one Host, or a Host that is
 *    not `name[:port]` / `[v6][:port]` (RFC 9112 §3.2: 400). Node keeps only
 *    the first Host; the app or a cache behind it might read another. (Node's
 *    own missing-Host check answers an empty 400, so the listener turns it
 *    off and this one answers problem+json.)
 *
 * Returns a fixed reason, or null when the message is well framed. Costs two
 * property reads, one short regex and a walk over the raw header names.
 */
export function framingError(req: IncomingMessage): string | null {
  if (req.httpVersionMajor !== 1) return 'Only HTTP/1.0 and HTTP/1.1 requests are served';
  const te = req.headers['transfer-encoding'];
  if (te !== undefined) {
    if (req.httpVersionMinor === 0) return 'Transfer-Encoding is not allowed in an HTTP/1.0 request';
    if (te.length !== 7 || te.toLowerCase() !== 'chunked') return 'Only "Transfer-Encoding: chunked" is accepted';
  }
  const host = req.headers.host;
  if (host === undefined) {
    if (req.httpVersionMinor !== 0) return 'An HTTP/1.1 request needs a Host header';
  } else if (!VALID_HOST.test(host)) {
    return 'The Host header is not a valid host[:port]';
  }
  if (hostCount(req.rawHeaders) > 1) return 'More than one Host header';
  return null;
}

/**
 * A reg-name of letters, digits and `-._~` or an IPv6 literal, then an
 * optional port; or empty (RFC 9112 §3.2). Stricter than RFC 3986 on purpose
 * (no sub-delims, no percent-encoding): the value is a cache key part, a log
 * field and X-Forwarded-Host.
 */
export const VALID_HOST = /^(?:(?:\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9._~-]{1,253})(?::[0-9]{1,5})?)?$/;

function hostCount(raw: string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!;
    if (k.length === 4 && (k === 'Host' || k === 'host' || k.toLowerCase() === 'host')) n++;
  }
  return n;
}

/**
 * Connections whose byte stream can no longer be trusted: requests Node
 * parsed after a badly framed one (pipelined behind it, or hidden in its
 * body) are never handled; the connection closes after the 400.
 */
const untrusted = new WeakSet<object>();

export function distrust(socket: object): void {
  untrusted.add(socket);
}

export function isDistrusted(socket: object): boolean {
  return untrusted.has(socket);
}

const rejecters = new Map<string, Handler>();

/**
 * The chain that answers a badly framed request: 400 problem+json with the
 * request id and timing headers. One per reason (a fixed, small set), built
 * on first use. The caller sets `Connection: close` (`res.shouldKeepAlive`),
 * since the rest of the byte stream cannot be trusted.
 */
export function rejectFraming(reason: string): Handler {
  let h = rejecters.get(reason);
  if (h === undefined) {
    h = assemble(NO_STAGES, async (x) => problem(x, 'bad_request', reason));
    rejecters.set(reason, h);
  }
  return h;
}
