/**
 * Seeded generator of hostile HTTP/1.1 request bytes for the robustness test:
 * plausible requests (methods, path tricks, framing headers, bodies) and
 * mutations of them (byte flips, CR/LF/NUL insertions, spans cut or repeated,
 * folded lines, huge headers, truncation). Deterministic for a seed, so a
 * failure can be replayed.
 */

/** mulberry32: small, fast, good enough to drive a fuzzer. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Gen {
  constructor(readonly r: () => number) {}
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.r() < p;
  }
}

const METHODS = ['GET', 'GET', 'GET', 'POST', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT', 'PRI', 'M-SEARCH', 'get', 'G ET', ''];
const PATHS = [
  '/api/v1/echo', '/api/v1/echo?x=1&y=%20', '/api/v1/assessments', '/api/v1/assessments/', '/api/v1//assessments', '/api/v1/./echo',
  '/api/v1/x/../echo', '/api/v1/x/%2e%2e/echo', '/api/v1%2Fecho', '/api/v1%5cecho', '/api/v1/echo%00', '/%2e%2e/%2e%2e/etc/passwd',
  '/api/v1/echo#frag', '/api/v1/echo?', '*', 'http://api.example/api/v1/echo', 'http://user:pw@evil/x', 'https://[::1]:99999/x', '//evil/x',
  '/api/v1/echo?delay_ms=50', '/api/v1/echo?status=503', '/api/v1/echo?bytes=100000', '/health', '/api/v1/status/system', '/\u00e9', '/a b', '',
  '/api/v1/files/upload', '/api/v1/candidates', '/' + 'a/'.repeat(300),
];
const HEADER_NAMES = [
  'Host', 'Content-Length', 'Transfer-Encoding', 'X-Request-ID', 'Origin', 'Access-Control-Request-Method', 'Connection', 'Expect',
  'Upgrade', 'Cookie', 'Authorization', 'X-Forwarded-For', 'X-Forwarded-Host', 'Cache-Control', 'If-None-Match', 'Accept', 'TE', 'Trailer',
  'Content-Type', 'traceparent', 'Keep-Alive', 'Proxy-Connection', 'X-Api-Key', 'Range', 'X-' + 'a'.repeat(50),
];
const HEADER_VALUES = [
  'api.example', '127.0.0.1:8080', '0', '5', '100000000', '-1', '1, 2', 'chunked', 'gzip, chunked', 'chunked, gzip', 'identity', 'close',
  'keep-alive, x-secret', 'upgrade', 'websocket', '100-continue', 'https://app.example', 'null', 'a\tb', '', ' ', 'x'.repeat(200),
  '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', '1.2.3.4, ::ffff:10.0.0.1, garbage', 'no-cache', '*', 'bytes=0-10',
];
const SANE_METHODS = ['GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS'];
const SANE_PATHS = [
  '/api/v1/echo', '/api/v1/echo?a=1', '/api/v1/assessments', '/api/v1/assessments/a1', '/api/v1/assessments/x/../a2', '/api/v1/echo?status=404',
  '/api/v1/echo?cache_control=max-age%3D60', '/api/v1/echo?bytes=70000', '/api/v1/candidates', '/api/v1/files/upload', '/health', '/docs/x',
];
const SANE_HEADERS = [
  'Accept: application/json\r\n', 'X-Request-ID: fuzz-1\r\n', 'Origin: https://app.example\r\n', 'Origin: https://evil.example\r\n',
  'Access-Control-Request-Method: POST\r\n', 'Cache-Control: no-cache\r\n', 'If-None-Match: "x"\r\n', 'Authorization: Bearer t\r\n',
  'X-Forwarded-For: 1.2.3.4\r\n', 'Connection: keep-alive\r\n', 'Content-Type: application/json\r\n', 'Cookie: a=b\r\n',
];
const INSERTS = ['\r', '\n', '\r\n', '\x00', ' ', '\t', ':', '\x7f', '\xff', '%', '/', '\\', '?', '#', '\r\n\r\n', '\r\n ', '0\r\n\r\n', 'Transfer-Encoding: chunked\r\n', 'Content-Length: 3\r\n'];

/** One plausible request, sometimes subtly broken. */
export function request(g: Gen): string {
  // Half the time a well-formed request (so the stages and the app are
  // exercised, not only the parser), else anything goes.
  const sane = g.chance(0.5);
  const method = sane ? g.pick(SANE_METHODS) : g.pick(METHODS);
  const version = sane || g.chance(0.8) ? 'HTTP/1.1' : g.pick(['HTTP/1.0', 'HTTP/2.0', 'HTTP/1.2', 'HTTP/0.9', 'HTTPS/1.1', 'HTTP/1.1 ', '']);
  let head = `${method} ${sane ? g.pick(SANE_PATHS) : g.pick(PATHS)} ${version}\r\n`;
  if (sane || g.chance(0.9)) head += `Host: ${sane || g.chance(0.8) ? 'api.example' : g.pick(HEADER_VALUES)}\r\n`;
  const n = g.int(6);
  for (let i = 0; i < n; i++) head += sane ? g.pick(SANE_HEADERS) : `${g.pick(HEADER_NAMES)}: ${g.pick(HEADER_VALUES)}\r\n`;
  let body = '';
  const kind = g.int(4);
  if (kind === 1) {
    body = 'b'.repeat(g.int(3000));
    head += `Content-Length: ${g.chance(0.8) ? body.length : g.int(5000)}\r\n`;
  } else if (kind === 2) {
    head += 'Transfer-Encoding: chunked\r\n';
    const chunks = g.int(4);
    for (let i = 0; i < chunks; i++) {
      const c = 'c'.repeat(g.int(40_000));
      body += `${(g.chance(0.9) ? c.length : g.int(100)).toString(16)}\r\n${c}\r\n`;
    }
    if (g.chance(0.85)) body += '0\r\n\r\n';
  }
  return head + '\r\n' + body;
}

/** Apply 0–4 random mutations. */
export function mutate(g: Gen, s: string): string {
  let out = s;
  const n = g.int(5);
  for (let i = 0; i < n && out.length > 0; i++) {
    const at = g.int(out.length);
    switch (g.int(9)) {
      case 0: // flip one byte
        out = out.slice(0, at) + String.fromCharCode(g.int(256)) + out.slice(at + 1);
        break;
      case 1:
        out = out.slice(0, at) + g.pick(INSERTS) + out.slice(at);
        break;
      case 2: // cut a span
        out = out.slice(0, at) + out.slice(at + g.int(20));
        break;
      case 3: // repeat a span
        out = out.slice(0, at) + out.slice(at, at + g.int(40)).repeat(1 + g.int(3)) + out.slice(at);
        break;
      case 4: // LF line ends
        out = out.replace(/\r\n/g, g.chance(0.5) ? '\n' : '\r');
        break;
      case 5: // fold a header line
        out = out.replace('\r\n', '\r\n\t');
        break;
      case 6: // huge header
        out = out.replace('\r\n', `\r\nX-Huge: ${'h'.repeat(g.pick([8_000, 17_000, 70_000]))}\r\n`);
        break;
      case 7: // truncate
        out = out.slice(0, at);
        break;
      default: // random garbage
        out = Array.from({ length: 1 + g.int(200) }, () => String.fromCharCode(g.int(256))).join('');
    }
  }
  return out;
}
