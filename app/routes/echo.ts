// Echo: answers with what the app received (method, url, headers, body size),
// so tests can check what the proxy forwarded. Query parameters shape the
// response:
//   status=NNN          response status (default 200)
//   cache_control=...   Cache-Control header
//   set_cookie=1        a Set-Cookie header
//   header=Name:value   any other response header (repeatable)
//   delay_ms=N          wait N ms before sending headers
//   bytes=N             a body of N bytes (application/octet-stream) instead of the echo

import type { ServerResponse } from 'node:http';
import { drainBody, intParam, invalid, sendJson, sleep, type Ctx } from '../http.js';
import type { RouteDef } from '../router.js';

const CHUNK = Buffer.alloc(64 * 1024, 'x');

function responseHeaders(url: URL): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const raw of url.searchParams.getAll('header')) {
    const colon = raw.indexOf(':');
    const name = raw.slice(0, colon).trim();
    if (colon < 1 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw invalid('header', 'header must look like Name:value');
    }
    headers[name.toLowerCase()] = raw.slice(colon + 1).trim();
  }
  const cacheControl = url.searchParams.get('cache_control');
  if (cacheControl !== null) headers['cache-control'] = cacheControl;
  if (url.searchParams.get('set_cookie') === '1') headers['set-cookie'] = 'echo_session=1; Path=/; HttpOnly';
  return headers;
}

async function echo(ctx: Ctx): Promise<void> {
  const { url, req, res } = ctx;
  const status = intParam(url, 'status', 200, 599, 200);
  const delayMs = intParam(url, 'delay_ms', 0, 3_600_000, 0);
  const bytes = intParam(url, 'bytes', 0, 2 ** 40, -1);
  const headers = responseHeaders(url);
  const bodyBytes = await drainBody(ctx);
  if (delayMs > 0 && !(await sleep(delayMs, ctx.signal))) return;

  if (bytes < 0) {
    sendJson(res, status, {
      method: req.method,
      url: req.url,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body_bytes: bodyBytes,
      http_version: req.httpVersion,
      remote_address: req.socket.remoteAddress ?? null,
    }, headers);
    return;
  }
  res.writeHead(status, { ...headers, 'content-type': 'application/octet-stream', 'content-length': bytes });
  for (let left = bytes; left > 0 && !ctx.signal.aborted; left -= CHUNK.length) {
    const ok = res.write(left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left));
    if (!ok) await drained(res);
  }
  res.end();
}

/** Resolves when `res` can take more data, or has closed. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export const echoRoutes: RouteDef[] = [{ pattern: '/api/v1/echo', methods: { '*': echo } }];
