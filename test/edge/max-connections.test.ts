import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import net from 'node:net';
import { startApp, type AppHandle } from '../../app/server.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { sendRaw, problemOf, parseResponses, closed } from './raw-client.js';
import { until as waitFor } from '../helpers/wait.js';

let app: AppHandle;
let gw: TestProxy;

beforeAll(async () => {
  app = await startApp({ port: 0 });
  gw = await startTestProxy(app.url, 'routes:\n  - match: { path: /** }\n', { server: 'max_connections: 2' });
});
afterAll(async () => {
  await gw?.close();
  await app?.close();
});

const REQ = 'GET /api/v1/echo HTTP/1.1\r\nHost: api.example\r\n\r\n';

/** A keep-alive connection that has been served once (so the proxy surely counts it). */
async function held(): Promise<net.Socket> {
  const s = net.connect(Number(new URL(gw.url).port), '127.0.0.1');
  s.on('error', () => {});
  let raw = '';
  await new Promise<void>((resolve) => {
    s.on('data', (c: Buffer) => {
      raw += c.toString('latin1');
      if (parseResponses(raw).length === 1) resolve();
    });
    s.write(REQ);
  });
  return s;
}

function connections(): Promise<number> {
  return new Promise((resolve) => gw.proxy.server.getConnections((_e, n) => resolve(n)));
}


describe('max_connections', () => {
  it('a connection beyond the cap gets 503 problem+json with Retry-After and is closed; nothing reaches the app', async () => {
    const a = await held();
    const b = await held();
    app.log.clear();
    const r = await sendRaw(gw.url, REQ);
    expect(r.responses.length).toBe(1);
    const res = r.responses[0]!;
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    const p = problemOf(res);
    expect(p.detail).toMatch(/max_connections/);
    expect(res.headers['x-request-id']).toBe(p.request_id);
    expect(r.closedByServer).toBe(true);
    expect(app.log.count('/api/')).toBe(0);
    expect(gw.logs.some((l) => l.message === 'Connection refused: server.max_connections reached')).toBe(true);

    // A held connection keeps working; once one closes, a new one is admitted.
    const again = await new Promise<string>((resolve) => {
      a.once('data', (c: Buffer) => resolve(c.toString('latin1')));
      a.write(REQ);
    });
    expect(parseResponses(again)[0]?.status).toBe(200);
    b.destroy();
    await closed(b);
    // The proxy sees the closes a moment after the client does (refused sockets count until they are gone).
    await waitFor(async () => (await connections()) <= 1);
    const next = await sendRaw(gw.url, REQ, { responses: 1 });
    expect(next.responses[0]?.status).toBe(200);
    a.destroy();
  });
});
