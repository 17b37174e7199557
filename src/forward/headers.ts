import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { util } from 'undici';

/**
 * Hop-by-hop and proxy-owned request headers (RFC 9110 §7.6.1), never passed
 * upstream. undici also refuses several of them outright (keep-alive, upgrade,
 * transfer-encoding, expect). `x-forwarded-*` are rebuilt by the proxy.
 */
const DROP_REQUEST = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade',
  'proxy-authorization', 'proxy-authenticate', 'http2-settings', 'expect', 'host',
  'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-request-id', 'traceparent',
]);

/** Hop-by-hop response headers, stripped on the way back. */
const DROP_RESPONSE = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authenticate']);

export interface ForwardedFacts {
  id: string;
  traceparent: string;
  clientIp: string;
  peerTrusted: boolean;
  proto: 'http' | 'https';
}

/** The header object sent upstream: end-to-end headers plus the ones the proxy owns. */
export function upstreamRequestHeaders(h: IncomingHttpHeaders, f: ForwardedFacts): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const conn = h.connection;
  const listed = conn && conn !== 'keep-alive' && conn !== 'close' ? connectionTokens(conn) : null;
  for (const k in h) {
    if (DROP_REQUEST.has(k) || (listed !== null && listed.has(k))) continue;
    const v = h[k];
    if (v !== undefined) out[k] = v;
  }
  if (h.host !== undefined) out.host = h.host;
  const xff = h['x-forwarded-for'];
  out['x-forwarded-for'] = f.peerTrusted && xff ? `${xff}, ${f.clientIp}` : f.clientIp;
  const xfp = h['x-forwarded-proto'];
  out['x-forwarded-proto'] = f.peerTrusted && typeof xfp === 'string' ? xfp : f.proto;
  const xfh = f.peerTrusted ? h['x-forwarded-host'] : undefined;
  if (typeof xfh === 'string') out['x-forwarded-host'] = xfh;
  else if (h.host !== undefined) out['x-forwarded-host'] = h.host;
  out['x-request-id'] = f.id;
  out.traceparent = f.traceparent;
  return out;
}

/**
 * The upstream response's end-to-end fields from undici's raw name/value
 * list: hop-by-hop ones (and any the upstream named in Connection) left out,
 * a repeated field as an array, as undici's own parser does it. Built once
 * into a fresh object (deleting from a parsed one leaves it in V8's slow
 * dictionary mode for writeHead).
 */
export function responseHeaders(raw: readonly Buffer[]): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  let listed: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const k = util.headerNameToString(raw[i]!);
    const v = raw[i + 1]!.toString('latin1');
    if (k === 'connection' && v !== 'keep-alive' && v !== 'close') {
      listed = connectionTokens(v, listed);
      continue;
    }
    if (DROP_RESPONSE.has(k)) continue;
    const prev = out[k];
    if (prev === undefined) {
      if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, configurable: true, writable: true });
      else out[k] = v;
    } else if (Array.isArray(prev)) prev.push(v);
    else out[k] = [String(prev), v];
  }
  if (listed !== null) for (const k of listed) delete out[k];
  return out;
}

function connectionTokens(v: string | string[], into: Set<string> | null = null): Set<string> {
  const s = into ?? new Set<string>();
  for (const part of Array.isArray(v) ? v : [v]) {
    for (const t of part.split(',')) {
      const n = t.trim().toLowerCase();
      if (n) s.add(n);
    }
  }
  return s;
}
