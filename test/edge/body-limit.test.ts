import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { createHash } from 'node:crypto';
import { startApp, type AppHandle } from '../../app/server.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { sendRaw, problemOf, parseResponses } from './raw-client.js';

let app: AppHandle;
let gw: TestProxy;
const MAX = 1024;

beforeAll(async () => {
  app = await startApp({ port: 0 });
  gw = await startTestProxy(app.url, 'routes:\n  - match: { path: /** }\n', { server: 'max_body_bytes: 1kb' });
});
afterAll(async () => {
  await gw?.close();
  await app?.close();
});
beforeEach(() => app.log.clear());

const H = 'Host: api.example\r\n';
const chunk = (s: string) => `${s.length.toString(16)}\r\n${s}\r\n`;

/** The next request the app receives, resolved when it is over: was its body complete, how many bytes. */
function nextAppRequest(): { arrived: Promise<void>; over: Promise<{ complete: boolean; bytes: number }> } {
  let arrivedResolve!: () => void;
  const arrived = new Promise<void>((r) => (arrivedResolve = r));
  const over = new Promise<{ complete: boolean; bytes: number }>((resolve) => {
    app.server.once('request', (req: IncomingMessage) => {
      arrivedResolve();
      let bytes = 0;
      req.on('data', (c: Buffer) => (bytes += c.length));
      req.once('close', () => resolve({ complete: req.complete, bytes }));
    });
  });
  return { arrived, over };
}

describe('max_body_bytes with Content-Length', () => {
  it('a declared body over the limit gets 413 problem+json before anything reaches the app, and the connection closes', async () => {
    const r = await sendRaw(gw.url, `POST /api/v1/files/upload HTTP/1.1\r\n${H}Content-Length: ${MAX + 1}\r\n\r\n` + 'x'.repeat(100));
    const res = r.responses[0]!;
    expect(res.status).toBe(413);
    const p = problemOf(res);
    expect(p.code).toBe('payload_too_large');
    expect(p.request_id).toBe(res.headers['x-request-id']);
    expect(res.headers.connection).toBe('close');
    expect(r.closedByServer).toBe(true);
    expect(app.log.count('/api/')).toBe(0);
  });

  it('a 19-digit Content-Length is a 413; one past 64 bits is refused by the parser as 400', async () => {
    const big = await sendRaw(gw.url, `POST /api/v1/echo HTTP/1.1\r\n${H}Content-Length: ${'9'.repeat(19)}\r\n\r\n`);
    expect(big.responses[0]?.status).toBe(413);
    const overflow = await sendRaw(gw.url, `POST /api/v1/echo HTTP/1.1\r\n${H}Content-Length: ${'9'.repeat(30)}\r\n\r\n`);
    expect(overflow.responses[0]?.status).toBe(400);
    expect(problemOf(overflow.responses[0]).code).toBe('bad_request');
    expect(app.log.count('/api/')).toBe(0);
  });

  it('Expect: 100-continue with a body over the limit: 413 without inviting the body', async () => {
    const r = await sendRaw(gw.url, `POST /api/v1/files/upload HTTP/1.1\r\n${H}Content-Length: ${MAX * 4}\r\nExpect: 100-continue\r\n\r\n`);
    expect(r.responses.map((x) => x.status)).toEqual([413]);
    expect(app.log.count('/api/')).toBe(0);
  });

  it('Expect: 100-continue within the limit gets 100 and the upload goes through', async () => {
    const body = 'y'.repeat(MAX);
    const r = await sendRaw(gw.url, `POST /api/v1/files/upload HTTP/1.1\r\n${H}Content-Length: ${MAX}\r\nExpect: 100-continue\r\n\r\n`, {
      responses: 2,
      drive: (s) => s.once('data', () => s.write(body)),
    });
    expect(r.responses.map((x) => x.status)).toEqual([100, 200]);
    expect(JSON.parse(r.responses[1]!.body)).toMatchObject({ bytes: MAX });
  });

  it('a body of exactly the limit is forwarded whole', async () => {
    const body = 'z'.repeat(MAX);
    const r = await sendRaw(gw.url, `POST /api/v1/files/upload HTTP/1.1\r\n${H}Content-Length: ${MAX}\r\n\r\n${body}`, { responses: 1 });
    expect(r.responses[0]?.status).toBe(200);
    expect(JSON.parse(r.responses[0]!.body)).toMatchObject({ bytes: MAX, sha256: createHash('sha256').update(body).digest('hex') });
  });
});

describe('max_body_bytes with a chunked body', () => {
  it('the app receives an interrupted body, never a complete over-limit one; the client gets 413', async () => {
    const app1 = nextAppRequest();
    const piece = 'a'.repeat(400);
    const r = sendRaw(gw.url, `POST /api/v1/files/upload HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n` + chunk(piece) + chunk(piece), {
      drive: (s) => {
        // Once the app is receiving, cross the limit and send the terminating chunk right behind it.
        void app1.arrived.then(() => s.write(chunk(piece) + chunk(piece) + '0\r\n\r\n'));
      },
    });
    const seen = await app1.over;
    expect(seen.complete).toBe(false);
    expect(seen.bytes).toBeLessThanOrEqual(MAX);
    const res = (await r).responses[0]!;
    expect(res.status).toBe(413);
    expect(problemOf(res).code).toBe('payload_too_large');
    expect(res.headers.connection).toBe('close');
    expect(app.log.entries.find((e) => e.url.startsWith('/api/'))?.status).toBeUndefined();
  });

  it('everything in one write: still 413 and the app never completes the body', async () => {
    const app1 = nextAppRequest();
    const piece = 'b'.repeat(300);
    const body = chunk(piece).repeat(10) + '0\r\n\r\n';
    const r = await sendRaw(gw.url, `POST /api/v1/files/upload HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n${body}`);
    expect(r.responses[0]?.status).toBe(413);
    expect(r.closedByServer).toBe(true);
    if (app.log.count('/api/') > 0) {
      const seen = await app1.over;
      expect(seen.complete).toBe(false);
      expect(seen.bytes).toBeLessThanOrEqual(MAX);
    }
  });

  it('a chunked body within the limit is forwarded whole and the connection stays usable', async () => {
    const piece = 'c'.repeat(500);
    const req = `POST /api/v1/files/upload HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n${chunk(piece)}${chunk(piece)}0\r\n\r\n`;
    const r = await sendRaw(gw.url, req + `GET /api/v1/echo HTTP/1.1\r\n${H}\r\n`, { responses: 2 });
    expect(r.responses.map((x) => x.status)).toEqual([200, 200]);
    expect(JSON.parse(r.responses[0]!.body)).toMatchObject({ bytes: 1000, sha256: createHash('sha256').update(piece + piece).digest('hex') });
  });

  it('bodyless GETs are untouched', async () => {
    const r = await sendRaw(gw.url, `GET /api/v1/echo HTTP/1.1\r\n${H}\r\n`, { responses: 1 });
    expect(parseResponses(r.raw)[0]?.status).toBe(200);
    expect(app.log.count('/api/')).toBe(1);
  });
});
