import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { startApp, type AppHandle } from '../../app/server.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { sendRaw, problemOf } from './raw-client.js';

let app: AppHandle;
let gw: TestProxy;

beforeAll(async () => {
  app = await startApp({ port: 0 });
  gw = await startTestProxy(app.url, 'routes:\n  - match: { path: /** }\n');
});
afterAll(async () => {
  await gw?.close();
  await app?.close();
});
beforeEach(() => app.log.clear());

const H = 'Host: api.example\r\n';

// [case, who rejects it, raw request]: "llhttp" = Node's parser (rendered by
// the clientError handler), "proxy" = framing.ts. Each is sent on a fresh
// connection; a valid request pipelined after it must never be forwarded.
const REJECTED: Array<[string, 'llhttp' | 'proxy', string]> = [
  ['Content-Length and Transfer-Encoding', 'llhttp', `POST /api/v1/echo HTTP/1.1\r\n${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
  ['Transfer-Encoding and Content-Length', 'llhttp', `POST /api/v1/echo HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n`],
  ['duplicate equal Content-Length', 'llhttp', `POST /api/v1/echo HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc`],
  ['conflicting Content-Length', 'llhttp', `POST /api/v1/echo HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd`],
  ['Content-Length list', 'llhttp', `POST /api/v1/echo HTTP/1.1\r\n${H}Content-Length: 3, 3\r\n\r\nabc`],
  ['signed Content-Length', 'llhttp', `POST /api/v1/echo HTTP/1.1\r\n${H}Content-Length: +3\r\n\r\nabc`],
  ['Transfer-Encoding gzip', 'llhttp', `POST /api/v1/echo HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\nabc`],
  ['Transfer-Encoding chunked, gzip (chunked not last)', 'llhttp', `POST /api/v1/echo HTTP/1.1\r\n${H}Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n`],
  ['Transfer-Encoding identity', 'llhttp', `POST /api/v1/echo HTTP/1.1\r\n${H}Transfer-Encoding: identity\r\n\r\n`],
  ['Transfer-Encoding chunked twice', 'llhttp', `POST /api/v1/echo HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
  ['Transfer-Encoding with space before colon', 'llhttp', `POST /api/v1/echo HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n`],
  ['Transfer-Encoding: xchunked', 'llhttp', `POST /api/v1/echo HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`],
  ['Transfer-Encoding: gzip, chunked', 'proxy', `POST /api/v1/echo HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`],
  ['Transfer-Encoding on HTTP/1.0', 'proxy', `POST /api/v1/echo HTTP/1.0\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
  ['HTTP/2.0 in a text request line', 'proxy', `GET /api/v1/echo HTTP/2.0\r\n${H}\r\n`],
  ['obsolete line folding (space)', 'llhttp', `GET /api/v1/echo HTTP/1.1\r\n${H}X-A: b\r\n c\r\n\r\n`],
  ['obsolete line folding (tab)', 'llhttp', `GET /api/v1/echo HTTP/1.1\r\n${H}X-A: b\r\n\tc\r\n\r\n`],
  ['NUL in a header value', 'llhttp', `GET /api/v1/echo HTTP/1.1\r\n${H}X-A: b\x00c\r\n\r\n`],
  ['bare CR in a header value', 'llhttp', `GET /api/v1/echo HTTP/1.1\r\n${H}X-A: b\rc\r\n\r\n`],
  ['DEL in a header value', 'llhttp', `GET /api/v1/echo HTTP/1.1\r\n${H}X-A: b\x7fc\r\n\r\n`],
  ['space in a header name', 'llhttp', `GET /api/v1/echo HTTP/1.1\r\n${H}X A: b\r\n\r\n`],
  ['space before the colon', 'llhttp', `GET /api/v1/echo HTTP/1.1\r\n${H}X-A : b\r\n\r\n`],
  ['bare LF line ends', 'llhttp', `GET /api/v1/echo HTTP/1.1\nHost: api.example\n\n`],
  ['two Host headers', 'proxy', `GET /api/v1/echo HTTP/1.1\r\nHost: api.example\r\nHost: evil.example\r\n\r\n`],
  ['Host with a path', 'proxy', `GET /api/v1/echo HTTP/1.1\r\nHost: api.example/evil\r\n\r\n`],
  ['Host with userinfo', 'proxy', `GET /api/v1/echo HTTP/1.1\r\nHost: user@api.example\r\n\r\n`],
  ['Host with only a port', 'proxy', `GET /api/v1/echo HTTP/1.1\r\nHost: :80\r\n\r\n`],
  ['Host with a space', 'proxy', `GET /api/v1/echo HTTP/1.1\r\nHost: api.example evil\r\n\r\n`],
  ['HTTP/1.1 without Host', 'proxy', `GET /api/v1/echo HTTP/1.1\r\n\r\n`],
  ['bad chunk size', 'llhttp', `POST /api/v1/echo HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`],
  ['chunk size overflow', 'llhttp', `POST /api/v1/echo HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nabc\r\n0\r\n\r\n`],
  ['unknown method', 'llhttp', `FOO /api/v1/echo HTTP/1.1\r\n${H}\r\n`],
  ['TLS handshake on the plain port', 'llhttp', '\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03'],
];

const FOLLOW_UP = `GET /api/v1/echo?smuggled=1 HTTP/1.1\r\n${H}\r\n`;

describe('badly framed requests get 400 problem+json, reach nothing, and close the connection', () => {
  it.each(REJECTED)('%s (rejected by %s)', async (_name, _who, raw) => {
    const r = await sendRaw(gw.url, raw + FOLLOW_UP);
    expect(r.responses.length).toBe(1);
    const res = r.responses[0]!;
    expect(res.status).toBe(400);
    const p = problemOf(res);
    expect(p.code).toBe('bad_request');
    expect(p.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers['x-request-id']).toBe(p.request_id);
    expect(res.headers.connection).toBe('close');
    expect(r.closedByServer).toBe(true);
    // Neither the bad request nor the one smuggled behind it reached the app.
    expect(app.log.count('/api/')).toBe(0);
  });

  it('CONNECT is refused with 400 problem+json instead of a silent drop', async () => {
    const r = await sendRaw(gw.url, `CONNECT api.example:443 HTTP/1.1\r\n${H}\r\n`);
    expect(r.responses[0]?.status).toBe(400);
    expect(problemOf(r.responses[0]).detail).toMatch(/CONNECT/);
    expect(r.closedByServer).toBe(true);
    expect(app.log.count('/api/')).toBe(0);
  });

  it('the classic CL.TE smuggle forwards nothing at all', async () => {
    const smuggle =
      `POST /api/v1/echo HTTP/1.1\r\n${H}Content-Length: 44\r\nTransfer-Encoding: chunked\r\n\r\n` +
      `0\r\n\r\nGET /api/v1/echo?smuggled=1 HTTP/1.1\r\nX: x`;
    const r = await sendRaw(gw.url, smuggle);
    expect(r.responses.map((x) => x.status)).toEqual([400]);
    expect(app.log.count('/api/')).toBe(0);
  });
});

describe('well-framed requests still pass', () => {
  it('chunked (any case) is forwarded with its body, and keep-alive continues', async () => {
    const req = `POST /api/v1/echo HTTP/1.1\r\n${H}Transfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`;
    const r = await sendRaw(gw.url, req + `GET /api/v1/echo?second=1 HTTP/1.1\r\n${H}\r\n`, { responses: 2 });
    expect(r.responses.map((x) => x.status)).toEqual([200, 200]);
    expect((JSON.parse(r.responses[0]!.body) as { body_bytes: number }).body_bytes).toBe(3);
    expect(app.log.entries.map((e) => e.url).filter((u) => u.startsWith('/api/'))).toEqual(['/api/v1/echo', '/api/v1/echo?second=1']);
  });

  it('HTTP/1.0 without Host and header values with obs-text bytes are served', async () => {
    const r = await sendRaw(gw.url, 'GET /api/v1/echo HTTP/1.0\r\nX-Latin: caf\xe9\r\n\r\n');
    expect(r.responses[0]?.status).toBe(200);
    expect(app.log.count('/api/')).toBe(1);
  });
});
