import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import net from 'node:net';
import { startApp, type AppHandle } from '../../app/server.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { sendRaw, problemOf, parseResponses, closed } from './raw-client.js';
import { until as waitFor } from '../helpers/wait.js';

let app: AppHandle;
let gw: TestProxy;

beforeAll(async () => {
  app = await startApp({ port: 0 });
  gw = await startTestProxy(app.url, 'routes:\n  - match: { path: /** }\n', {
    server: 'header_timeout: 300ms\nrequest_timeout: 1500ms\nidle_timeout: 300ms',
  });
});
afterAll(async () => {
  await gw?.close();
  await app?.close();
});
beforeEach(() => app.log.clear());

const H = 'Host: api.example\r\n';

describe('header_timeout (slowloris)', () => {
  it('headers dripped a line at a time get 408 problem+json and the connection is dropped', async () => {
    let drip: NodeJS.Timeout | undefined;
    const r = await sendRaw(gw.url, `GET /api/v1/echo HTTP/1.1\r\n${H}`, {
      drive: (s) => {
        drip = setInterval(() => {
          if (!s.destroyed && s.writable) s.write('X-Drip: 1\r\n');
        }, 50);
      },
    });
    clearInterval(drip);
    expect(r.responses.length).toBe(1);
    expect(r.responses[0]!.status).toBe(408);
    const p = problemOf(r.responses[0]);
    expect(p.code).toBe('request_timeout');
    expect(p.detail).toMatch(/header_timeout/);
    expect(r.closedByServer).toBe(true);
    expect(app.log.count('/api/')).toBe(0);
  });

  it('a connection that never sends a byte gets 408 and is closed', async () => {
    const r = await sendRaw(gw.url, '');
    expect(r.responses[0]?.status).toBe(408);
    expect(r.closedByServer).toBe(true);
    expect(app.log.count('/api/')).toBe(0);
  });
});

describe('request_timeout bounds the whole exchange', () => {
  it('a body that stops arriving: 408 and the connection closes', async () => {
    const r = await sendRaw(gw.url, `POST /api/v1/files/upload HTTP/1.1\r\n${H}Content-Length: 100\r\n\r\n0123456789`);
    expect(r.responses[0]?.status).toBe(408);
    expect(problemOf(r.responses[0]).code).toBe('request_timeout');
    expect(r.closedByServer).toBe(true);
    // The app got the headers and 10 bytes (bodies stream), never a complete request.
    const uploads = app.log.entries.filter((e) => e.url.startsWith('/api/'));
    expect(uploads.every((e) => e.bodyBytes <= 10 && e.status === undefined)).toBe(true);
  });

  it('an app slower than request_timeout (upstream.timeout is 30 s): 408 problem+json, upstream call aborted', async () => {
    const r = await sendRaw(gw.url, `GET /api/v1/echo?delay_ms=20000 HTTP/1.1\r\n${H}\r\n`);
    const res = r.responses[0]!;
    expect(res.status).toBe(408);
    const p = problemOf(res);
    expect(p.detail).toMatch(/request_timeout/);
    expect(res.headers['x-request-id']).toBe(p.request_id);
    expect(res.headers['x-process-time']).toMatch(/^\d+\.\d{4}$/);
    expect(r.closedByServer).toBe(true);
    expect(app.log.count('/api/')).toBe(1);
    expect(app.log.entries.find((e) => e.url.startsWith('/api/'))!.status).toBeUndefined();
    const line = gw.logs.find((l) => l.request_id === p.request_id);
    expect(line?.status_code).toBe(408);
  });

  it('a client reading the response too slowly is cut off (truncated, never completed)', async () => {
    const socket = net.connect(Number(new URL(gw.url).port), '127.0.0.1');
    let received = 0;
    let paused = false;
    socket.on('data', (c: Buffer) => {
      received += c.length;
      if (!paused) {
        paused = true;
        socket.pause(); // read the first piece, then stop reading
      }
    });
    socket.on('error', () => {});
    socket.write(`GET /api/v1/echo?bytes=200000000 HTTP/1.1\r\n${H}X-Request-ID: slow-reader\r\n\r\n`);
    // The proxy writes its request log line when it ends the exchange.
    await waitFor(() => gw.logs.some((l) => l.request_id === 'slow-reader'));
    socket.resume(); // now drain what was buffered: the stream must end short
    await closed(socket, 8000);
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(200_000_000);
  });
});


describe('idle keep-alive connections', () => {
  it('are closed by the proxy after idle_timeout', async () => {
    const r = await sendRaw(gw.url, `GET /api/v1/echo HTTP/1.1\r\n${H}\r\n`, { deadlineMs: 5000 });
    expect(parseResponses(r.raw).map((x) => x.status)).toEqual([200]);
    expect(r.closedByServer).toBe(true);
  });
});

describe('max_header_bytes (16 KB by default)', () => {
  it('a header block over the limit gets 431 problem+json and reaches nothing', async () => {
    const r = await sendRaw(gw.url, `GET /api/v1/echo HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`);
    expect(r.responses[0]?.status).toBe(431);
    const p = problemOf(r.responses[0]);
    expect(p.code).toBe('bad_request');
    expect(p.status).toBe(431);
    expect(r.closedByServer).toBe(true);
    expect(app.log.count('/api/')).toBe(0);
  });

  it('carries the client request id when it came before the overflow', async () => {
    const r = await sendRaw(gw.url, `GET /api/v1/echo HTTP/1.1\r\n${H}X-Request-ID: trace-431\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`);
    expect(problemOf(r.responses[0]).request_id).toBe('trace-431');
  });

  it('many headers adding up past the limit count too; 8 KB of headers pass', async () => {
    const many = Array.from({ length: 400 }, (_, i) => `X-H${i}: ${'v'.repeat(40)}\r\n`).join('');
    const r = await sendRaw(gw.url, `GET /api/v1/echo HTTP/1.1\r\n${H}${many}\r\n`);
    expect(r.responses[0]?.status).toBe(431);
    const ok = await sendRaw(gw.url, `GET /api/v1/echo HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(8 * 1024)}\r\n\r\n`, { responses: 1 });
    expect(ok.responses[0]?.status).toBe(200);
    expect(app.log.count('/api/')).toBe(1);
  });
});
