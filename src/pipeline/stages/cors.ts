import type { OutgoingHttpHeaders } from 'node:http';
import type { Exchange } from '../exchange.js';
import type { Reply, Stage } from '../types.js';

/** The policy's `cors:` section as parsed (names lower-cased, max_age in ms). */
export interface CorsDef {
  allow_origins: readonly string[];
  allow_methods: readonly string[];
  allow_headers: readonly string[];
  expose_headers: readonly string[];
  allow_credentials: boolean;
  max_age: number;
}

const OWNED = [
  'access-control-allow-origin', 'access-control-allow-credentials', 'access-control-allow-methods',
  'access-control-allow-headers', 'access-control-expose-headers', 'access-control-max-age',
] as const;

/**
 * CORS answered by the proxy (SPEC §3 `cors:`), one stage per policy shared
 * by every route, between the host check and the rate limit:
 *
 *  - preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`):
 *    answered 204 here and never forwarded or counted against a limit. An
 *    allowed origin gets the allow headers; any other gets none, which is
 *    the refusal browsers understand.
 *  - actual request from an allowed origin: `Access-Control-Allow-Origin`
 *    (the origin itself, or `*` when every origin is allowed without
 *    credentials), `Access-Control-Allow-Credentials` when configured,
 *    `Access-Control-Expose-Headers`. Disallowed origins get no ACAO.
 *  - the proxy owns these headers: ones the app set are replaced, so an app
 *    answering `*` cannot widen the policy.
 *  - `Vary: Origin` on every response whose headers depend on the origin, so
 *    shared caches downstream keep one copy per origin.
 *
 * Credentials never go with `*` (the schema refuses that combination, and
 * with credentials the origin is always echoed, never `*`).
 */
export function corsStage(def: CorsDef): Stage {
  const anyOrigin = def.allow_origins.includes('*');
  const star = anyOrigin && !def.allow_credentials;
  const origins = new Set(def.allow_origins.filter((o) => o !== '*').map((o) => o.toLowerCase()));
  const credentials = def.allow_credentials;
  const methods = def.allow_methods.join(', ');
  const allowHeaders = def.allow_headers.join(', ');
  const expose = def.expose_headers.join(', ');
  const maxAge = String(Math.floor(def.max_age / 1000));
  const allowed = (origin: string): boolean => anyOrigin || origins.has(origin.toLowerCase());

  const decorate = (reply: Reply, origin: string | undefined): Reply => {
    const h = reply.headers;
    for (const k of OWNED) if (h[k] !== undefined) delete h[k];
    if (!star) addVary(h, 'Origin');
    if (origin !== undefined && allowed(origin)) {
      h['access-control-allow-origin'] = star ? '*' : origin;
      if (credentials) h['access-control-allow-credentials'] = 'true';
      if (expose !== '') h['access-control-expose-headers'] = expose;
    }
    return reply;
  };

  const preflight = (origin: string): Reply => {
    const h: OutgoingHttpHeaders = {
      vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      'cache-control': 'no-store',
    };
    if (allowed(origin)) {
      h['access-control-allow-origin'] = star ? '*' : origin;
      if (credentials) h['access-control-allow-credentials'] = 'true';
      h['access-control-allow-methods'] = methods;
      if (allowHeaders !== '') h['access-control-allow-headers'] = allowHeaders;
      h['access-control-max-age'] = maxAge;
    }
    return { status: 204, headers: h, body: null };
  };

  return (next) =>
    async function cors(x: Exchange): Promise<Reply> {
      const origin = x.req.headers.origin;
      if (origin !== undefined && x.method === 'OPTIONS' && x.req.headers['access-control-request-method'] !== undefined) {
        return preflight(origin);
      }
      return decorate(await next(x), origin);
    };
}

/** Add `token` to Vary unless it (or `*`) is already listed. */
export function addVary(h: OutgoingHttpHeaders, token: string): void {
  const v = h.vary;
  if (v === undefined) {
    h.vary = token;
    return;
  }
  const s = Array.isArray(v) ? v.join(', ') : String(v);
  const lower = token.toLowerCase();
  for (const part of s.split(',')) {
    const p = part.trim().toLowerCase();
    if (p === '*' || p === lower) return;
  }
  h.vary = s === '' ? token : `${s}, ${token}`;
}
