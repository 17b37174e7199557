import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

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
 * The upstream response's end-to-end fields: a fresh object without the
 * hop-by-hop ones (and any the upstream named in Connection). Copying
 * measured about 1 µs cheaper than deleting from undici's object, which
 * also leaves that object in V8's slow dictionary mode for writeHead.
 */
export function stripResponseHopByHop(h: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const conn = h.connection;
  const listed = conn !== undefined && conn !== 'keep-alive' && conn !== 'close' ? connectionTokens(String(conn)) : null;
  const out: OutgoingHttpHeaders = {};
  for (const k in h) {
    if (DROP_RESPONSE.has(k) || (listed !== null && listed.has(k))) continue;
    out[k] = h[k];
  }
  return out;
}

function connectionTokens(v: string | string[]): Set<string> {
  const s = new Set<string>();
  for (const part of Array.isArray(v) ? v : [v]) {
    for (const t of part.split(',')) {
      const n = t.trim().toLowerCase();
      if (n) s.add(n);
    }
  }
  return s;
}
