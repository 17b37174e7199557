import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { startApp, type AppHandle } from '../../app/server.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { sendRaw, problemOf, type WireResponse } from './raw-client.js';
import { requestHandler, type Live } from '../../src/server/handle.js';
import { InFlight } from '../../src/server/inflight.js';
import { assemble, NO_STAGES } from '../../src/pipeline/pipeline.js';
import { Metrics } from '../../src/observability/metrics.js';
import { RouteMetrics } from '../../src/runtime/route-metrics.js';
import { createLogger } from '../../src/observability/log.js';
import type { CompiledRoute } from '../../src/runtime/compile.js';
import type { Handler } from '../../src/pipeline/types.js';

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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function one(raw: string | Buffer): Promise<WireResponse> {
  const r = await sendRaw(gw.url, raw, { responses: 1 });
  if (!r.responses[0]) throw new Error(`no answer: ${JSON.stringify(r.raw)}`);
  return r.responses[0];
}

describe('request ids from clients', () => {
  // Values the parser accepts but the id rule does not: each is replaced by a UUID.
  const BAD: Array<[string, string]> = [
    ['spaces', 'MARK-a b'],
    ['quotes and braces', 'MARK-"},{"level":"fatal'],
    ['a percent-encoded CRLF', 'MARK-%0d%0aSet-Cookie:x=1'],
    ['obs-text bytes', 'MARK-\xc3\xa9\xff'],
    ['129 characters', 'MARK-' + 'a'.repeat(124)],
    ['a tab', 'MARK-a\tb'],
    ['an empty value', ''],
  ];

  it.each(BAD)('an id with %s is replaced everywhere: response header, upstream, log line', async (_what, bad) => {
    const res = await one(Buffer.from(`GET /api/v1/echo HTTP/1.1\r\nHost: api.example\r\nX-Request-ID: ${bad}\r\n\r\n`, 'latin1'));
    expect(res.status).toBe(200);
    const id = res.headers['x-request-id']!;
    expect(id).toMatch(UUID);
    expect(app.log.entries.find((e) => e.url.startsWith('/api/'))?.headers['x-request-id']).toBe(id);
    const line = gw.logs.find((l) => l.request_id === id);
    expect(line).toBeDefined();
    expect(JSON.stringify(gw.logs)).not.toContain('MARK-');
  });

  it('a CR or LF inside the id never gets that far: 400 problem+json with a fresh id, nothing forwarded', async () => {
    for (const raw of ['X-Request-ID: a\rSet-Cookie: x=1\r\n', 'X-Request-ID: a\x00b\r\n']) {
      const r = await sendRaw(gw.url, `GET /api/v1/echo HTTP/1.1\r\nHost: api.example\r\n${raw}\r\n`);
      const p = problemOf(r.responses[0]);
      expect(p.status).toBe(400);
      expect(p.request_id).toMatch(UUID);
      expect(r.responses[0]!.headers['set-cookie']).toBeUndefined();
    }
    expect(app.log.count('/api/')).toBe(0);
  });

  it('a CRLF that splits the line just makes a second header: the id is kept, the extra header is the client\'s own', async () => {
    const res = await one('GET /api/v1/echo HTTP/1.1\r\nHost: api.example\r\nX-Request-ID: abc\r\nSet-Cookie: admin=1\r\n\r\n');
    expect(res.headers['x-request-id']).toBe('abc');
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('a valid id is kept on the proxy\'s own errors too', async () => {
    const res = await one('GET /a/../../x HTTP/1.1\r\nHost: api.example\r\nX-Request-ID: keep.me:1-2_3\r\n\r\n');
    expect(res.status).toBe(400);
    expect(problemOf(res).request_id).toBe('keep.me:1-2_3');
    expect(res.headers['x-request-id']).toBe('keep.me:1-2_3');
  });
});

describe('hop-by-hop response headers from the app', () => {
  it('are stripped on the way back, including ones the app named in Connection', async () => {
    const q = ['Connection:X-Hop, X-Other', 'X-Hop:1', 'X-Other:2', 'Keep-Alive:timeout=999', 'Proxy-Authenticate:Basic', 'Upgrade:h2c', 'X-Kept:yes']
      .map((h) => `header=${encodeURIComponent(h)}`)
      .join('&');
    const res = await one(`GET /api/v1/echo?${q} HTTP/1.1\r\nHost: api.example\r\n\r\n`);
    expect(res.status).toBe(200);
    const names = res.headerLines.map((l) => l.slice(0, l.indexOf(':')).toLowerCase());
    expect(names).toContain('x-kept');
    for (const h of ['x-hop', 'x-other', 'proxy-authenticate', 'upgrade']) expect(names).not.toContain(h);
    expect(res.headers['keep-alive'] ?? '').not.toContain('999');
    expect(res.headers.connection).toBe('keep-alive');
  });
});

describe('WebSocket upgrade refusals', () => {
  it('are problem+json like every other proxy error', async () => {
    const r = await sendRaw(gw.url, 'GET /a/../../b HTTP/1.1\r\nHost: api.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    expect(r.responses[0]?.status).toBe(400);
    expect(problemOf(r.responses[0]).code).toBe('bad_request');
  });
});

describe('an unexpected failure inside the proxy', () => {
  const failures: Array<[string, Handler]> = [
    ['a stage that rejects', async () => { throw new Error('secret detail at /work/main/src/internal.ts:42'); }],
    ['a stage that throws synchronously', () => { throw new Error('secret detail at /work/main/src/internal.ts:42'); }],
  ];
  it.each(failures)('%s: a 500 problem+json with the request id and no stack, message or file path', async (_kind, terminal) => {
    const lines: string[] = [];
    const log = createLogger('info', new Writable({ write: (c: Buffer, _e, cb) => { lines.push(c.toString()); cb(); } }));
    const metrics = new Metrics();
    const boom: CompiledRoute = {
      label: '/boom',
      methods: null,
      matches: () => true,
      handler: assemble(NO_STAGES, terminal),
      metrics: new RouteMetrics(metrics, '/boom'),
      admit: async () => ({ status: 101, headers: {}, body: null }),
    };
    const live: Live = { match: () => boom, builtins: new Map(), badTarget: boom, clientIp: () => ({ ip: '127.0.0.1', trusted: false }), slowMs: 1000 };
    const server = http.createServer(requestHandler(() => live, log, 'http', new InFlight()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const r = await sendRaw(url, 'GET /boom HTTP/1.1\r\nHost: x\r\nX-Request-ID: boom-1\r\n\r\n', { responses: 1 });
      const res = r.responses[0]!;
      expect(res.status).toBe(500);
      const p = problemOf(res);
      expect(p).toMatchObject({ code: 'internal_error', request_id: 'boom-1', status: 500 });
      expect(r.raw).not.toMatch(/secret|\/work\/|internal\.ts|at .*\(|Error:/);
      // The log keeps the detail for the operator, tied to the request id.
      expect(lines.join('')).toContain('secret detail');
      expect(lines.join('')).toContain('boom-1');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('no proxy error body anywhere carries a stack or a path', async () => {
    const raws = [
      'GET /a/../../x HTTP/1.1\r\nHost: api.example\r\n\r\n',
      'GET /x HTTP/1.1\r\nHost: api.example\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
      `GET /x HTTP/1.1\r\nHost: api.example\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      'GET /x HTTP/2.0\r\nHost: api.example\r\n\r\n',
      'BREW /x HTTP/1.1\r\n\r\n',
    ];
    for (const raw of raws) {
      const r = await sendRaw(gw.url, raw);
      expect(r.responses[0]?.headers['content-type']).toBe('application/problem+json');
      expect(r.raw).not.toMatch(/\/work\/|node:internal|\.ts:\d|\.js:\d|\n\s+at /);
    }
  });
});
