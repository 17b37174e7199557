import { randomUUID } from 'node:crypto';
import type { Exchange } from '../exchange.js';

const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const VALID_TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * Request id: an incoming X-Request-ID of 1–128 characters from
 * [A-Za-z0-9._:-] is kept, anything else replaced by a new UUID (so a CR/LF or
 * a 10 kB id never reaches a header or a log line). W3C traceparent is passed
 * through when valid, else created; a created trace id reuses the request's
 * UUID so logs and traces line up.
 */
export function assignRequestId(x: Exchange): void {
  const h = x.req.headers;
  const incoming = h['x-request-id'];
  const uuid = randomUUID();
  x.id = typeof incoming === 'string' && VALID_ID.test(incoming) ? incoming : uuid;
  const tp = h.traceparent;
  x.traceparent =
    typeof tp === 'string' && VALID_TRACEPARENT.test(tp)
      ? tp
      : `00-${hex32(uuid)}-${hex16(randomUUID())}-01`;
}

/** The 32 hex digits of a UUID (slices: measurably cheaper than a regex replace per request). */
const hex32 = (u: string) => u.slice(0, 8) + u.slice(9, 13) + u.slice(14, 18) + u.slice(19, 23) + u.slice(24);
/** 16 hex digits from a UUID, none of them its fixed version digit. */
const hex16 = (u: string) => u.slice(0, 8) + u.slice(9, 13) + u.slice(24, 28);
