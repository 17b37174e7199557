import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { Handler, Reply } from '../pipeline/types.js';
import { Exchange } from '../pipeline/exchange.js';
import { problem } from '../pipeline/problem.js';
import { jsonReply } from './status.js';
import { respond } from './respond.js';

/** Operations the admin listener exposes; the proxy implements them. */
export interface AdminActions {
  registry(): Registry;
  token(): string | null;
  status: Record<string, Handler>;
  reload(): Promise<{ ok: true } | { ok: false; errors: string[] }>;
  purge(cache: string, pattern: string): Promise<number | null>;
  breaker(name: string, op: 'open' | 'close' | 'reset'): boolean;
  /** False when the admin listener is reachable from other hosts; default true. */
  loopbackOnly?: boolean;
}

const MAX_ADMIN_BODY = 64 * 1024;

/**
 * The admin listener: /metrics, the status endpoints, reload, cache purge and
 * breaker forcing. When `admin_token` is set every request needs
 * `Authorization: Bearer <token>`, compared in constant time.
 */
export function adminHandler(a: AdminActions) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const x = new Exchange(req, res, process.hrtime.bigint());
    x.id = typeof req.headers['x-request-id'] === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(req.headers['x-request-id']) ? req.headers['x-request-id'] : 'admin';
    handle(a, x).then(
      (reply) => respond(res, reply, req.method === 'HEAD'),
      () => respond(res, problem(x, 'internal_error', 'Admin operation failed'), false),
    );
  };
}

async function handle(a: AdminActions, x: Exchange): Promise<Reply> {
  const token = a.token();
  if (token !== null && !authorized(x.req.headers.authorization, token)) {
    const r = jsonReply(401, { status: 401, title: 'Unauthorized', detail: 'A valid bearer token is required' });
    r.headers['www-authenticate'] = 'Bearer realm="sono-guard-admin"';
    return r;
  }
  if (token === null && a.loopbackOnly === false && x.method !== 'GET' && x.method !== 'HEAD') {
    // A reload may drop the token while the listener stays bound to a public address: never mutate unauthenticated.
    return jsonReply(403, { status: 403, title: 'Forbidden', detail: 'Set server.admin_token: the admin listener is not loopback-only' });
  }
  const url = new URL(x.req.url ?? '/', 'http://admin');
  const path = url.pathname;
  const method = x.method;
  if (method === 'GET' || method === 'HEAD') {
    if (path === '/metrics') {
      const reg = a.registry();
      const body = Buffer.from(await reg.metrics());
      return { status: 200, headers: { 'content-type': reg.contentType, 'content-length': body.length }, body };
    }
    const status = a.status[path];
    if (status) return status(x);
  }
  if (method === 'POST') {
    if (path === '/admin/reload') {
      const r = await a.reload();
      return r.ok ? jsonReply(200, { status: 'reloaded' }) : jsonReply(422, { status: 'rejected', errors: r.errors });
    }
    if (path === '/admin/cache/purge') {
      const body = await readJson(x.req);
      if (!body || typeof body.cache !== 'string' || typeof body.path !== 'string' || !body.path.startsWith('/')) {
        return problem(x, 'bad_request', 'Expected {"cache": NAME, "path": PATTERN}');
      }
      const n = await a.purge(body.cache, body.path);
      return n === null ? jsonReply(404, { status: 404, detail: `No cache named "${body.cache}"` }) : jsonReply(200, { purged: n });
    }
    const m = /^\/admin\/breakers\/([^/]+)\/(open|close|reset)$/.exec(path);
    if (m) {
      const name = decodeURIComponent(m[1]!);
      const ok = a.breaker(name, m[2] as 'open' | 'close' | 'reset');
      return ok ? jsonReply(200, { breaker: name, done: m[2] }) : jsonReply(404, { status: 404, detail: `No breaker named "${name}"` });
    }
  }
  return jsonReply(404, { status: 404, detail: `No admin endpoint ${method} ${path}` });
}

function authorized(header: string | undefined, token: string): boolean {
  if (!header || !header.startsWith('Bearer ')) return false;
  // Hash both sides so the comparison is constant-time whatever the lengths.
  const a = createHash('sha256').update(header.slice(7)).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > MAX_ADMIN_BODY) return null;
    chunks.push(c as Buffer);
  }
  try {
    const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
