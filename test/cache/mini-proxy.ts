import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { Exchange } from '../../src/pipeline/exchange.js';
import { assemble, NO_STAGES } from '../../src/pipeline/pipeline.js';
import { forward } from '../../src/pipeline/stages/forward.js';
import { cacheStage } from '../../src/pipeline/stages/cache.js';
import { normalizeTarget } from '../../src/routing/normalize.js';
import { respond } from '../../src/server/respond.js';
import { ResponseCache, type ResponseCacheOptions } from '../../src/cache/response-cache.js';
import type { CacheDef } from '../../src/cache/types.js';
import type { Stage } from '../../src/pipeline/types.js';

export interface MiniProxy {
  url: string;
  cache: ResponseCache;
  close(): Promise<void>;
}

/**
 * The real pieces of one cached route over real HTTP: Exchange, the SPEC §4
 * chain (request id → timing → cache → [breaker] → forward with undici) and
 * the response writer, on 127.0.0.1:0, with one catch-all cached route.
 */
export async function startMiniProxy(
  origin: string,
  def: CacheDef,
  opts: ResponseCacheOptions & { breaker?: Stage; name?: string; cache?: ResponseCache } = {},
): Promise<MiniProxy> {
  const cache = opts.cache ?? new ResponseCache(opts.name ?? 'test', def, opts);
  const pool = new Pool(origin, { connections: 16 });
  const handler = assemble(
    { ...NO_STAGES, cache: cacheStage(cache, { waitMs: 5_000 }), breaker: opts.breaker ?? null },
    forward(pool, 5_000, 5_000, ''),
  );
  const server = http.createServer((req, res) => {
    const x = new Exchange(req, res, process.hrtime.bigint());
    x.host = (req.headers.host ?? '').toLowerCase();
    x.clientIp = '127.0.0.1';
    const t = normalizeTarget(req.url ?? '/');
    x.path = t?.path ?? '/';
    x.query = t?.query ?? '';
    res.once('close', () => { if (!res.writableFinished) x.abort.abort(); });
    void handler(x).then((reply) => respond(res, reply, x.method === 'HEAD'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    cache,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await cache.close();
      await pool.close();
    },
  };
}

/** A scriptable origin that counts the requests it sees. */
export interface Origin {
  url: string;
  requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders }>;
  close(): Promise<void>;
}

export async function startOrigin(handle: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void): Promise<Origin> {
  const requests: Origin['requests'] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers });
    req.resume();
    req.on('end', () => handle(req, res, requests.length));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
