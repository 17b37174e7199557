import type { Exchange } from './exchange.js';
import type { Reply } from './types.js';

/**
 * Every error the proxy produces itself becomes an RFC 9457 problem+json body
 * here and nowhere else. The code set is closed; each code has one status.
 */
export const PROBLEMS = {
  rate_limited: { status: 429, title: 'Too Many Requests' },
  circuit_open: { status: 503, title: 'Circuit Open' },
  upstream_unavailable: { status: 502, title: 'Upstream Unavailable' },
  upstream_timeout: { status: 504, title: 'Upstream Timeout' },
  payload_too_large: { status: 413, title: 'Payload Too Large' },
  host_not_allowed: { status: 421, title: 'Misdirected Request' },
  request_timeout: { status: 408, title: 'Request Timeout' },
  bad_request: { status: 400, title: 'Bad Request' },
  internal_error: { status: 500, title: 'Internal Error' },
} as const;

export type ProblemCode = keyof typeof PROBLEMS;

const TYPE_BASE = 'https://sono-guard.dev/problems/';

/**
 * Build the problem reply for `code`. `headers` adds fields such as Retry-After.
 * `status` overrides the table only for codes shared by several statuses
 * (e.g. bad_request answered as 431 for an oversized header block).
 */
export function problem(
  x: Exchange,
  code: ProblemCode,
  detail: string,
  headers?: Record<string, string | number>,
  status?: number,
): Reply {
  const s = status ?? PROBLEMS[code].status;
  x.errorCode = code;
  // The fixed members are precomputed per code; only the detail needs
  // escaping (the request id is validated): about half the cost of
  // JSON.stringify on an object, on the path of every rejection.
  const body = Buffer.from(`${HEAD[code]}${s},"detail":${JSON.stringify(detail)},"code":"${code}","request_id":"${x.id}"}`);
  const h: Reply['headers'] = {
    'content-type': 'application/problem+json',
    'content-length': body.length,
    'cache-control': 'no-store',
  };
  if (headers) for (const k in headers) h[k] = headers[k];
  return { status: s, headers: h, body };
}

/** `{"type":...,"title":...,"status":` per code. */
const HEAD = Object.fromEntries(
  (Object.keys(PROBLEMS) as ProblemCode[]).map((c) => [
    c,
    `{"type":${JSON.stringify(TYPE_BASE + c.replace(/_/g, '-'))},"title":${JSON.stringify(PROBLEMS[c].title)},"status":`,
  ]),
) as Record<ProblemCode, string>;
