import { describe, it, expect, afterEach } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';

/** An app written per test: `handler` answers everything but the proxy's health probe. */
async function rawApp(handler: http.RequestListener) {
  const server = http.createServer((req, res) => (req.url === '/health' ? res.end('ok') : handler(req, res)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

let gw: TestProxy | undefined;
let server: http.Server | undefined;
afterEach(async () => {
  await gw?.close();
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(null)));
  gw = server = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('upstream response bodies', () => {
  it('a body that arrives in pieces after the headers reaches the client whole and in order', async () => {
    const a = await rawApp(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.flushHeaders();
      for (let i = 0; i < 5; i++) {
        await sleep(20);
        res.write(`part${i};`);
      }
      res.end('end');
    });
    server = a.server;
    gw = await startTestProxy(a.url);
    const r = await request(`${gw.url}/drip`);
    expect(r.statusCode).toBe(200);
    expect(await r.body.text()).toBe('part0;part1;part2;part3;part4;end');
  });

  it('repeated fields stay separate; fields named in Connection and hop-by-hop fields are dropped', async () => {
    const a = await rawApp((_req, res) => {
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.setHeader('connection', 'x-hop, keep-alive');
      res.setHeader('x-hop', 'secret');
      res.setHeader('x-end-to-end', 'kept');
      res.setHeader('keep-alive', 'timeout=5');
      res.end('ok');
    });
    server = a.server;
    gw = await startTestProxy(a.url);
    const r = await request(`${gw.url}/h`);
    expect(r.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(r.headers['x-end-to-end']).toBe('kept');
    expect(r.headers['x-hop']).toBeUndefined();
    expect(r.headers['keep-alive']).not.toBe('timeout=5'); // the proxy's own keep-alive, not the app's
    expect(await r.body.text()).toBe('ok');
  });

  it('an app that dies midway through a body: the client sees the truncation, never a complete-looking response', async () => {
    const a = await rawApp((_req, res) => {
      res.writeHead(200, { 'content-length': '100000' });
      res.write(Buffer.alloc(30_000, 97), () => setTimeout(() => res.socket?.destroy(), 30));
    });
    server = a.server;
    gw = await startTestProxy(a.url);
    const r = await request(`${gw.url}/cut`);
    expect(r.statusCode).toBe(200);
    await expect(r.body.arrayBuffer()).rejects.toThrow();
  });

  it('a client that leaves midway through an endless body ends the upstream call', async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((r) => (upstreamClosed = r));
    const a = await rawApp((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const t = setInterval(() => res.write(Buffer.alloc(16 * 1024)), 5);
      res.on('close', () => {
        clearInterval(t);
        upstreamClosed();
      });
    });
    server = a.server;
    gw = await startTestProxy(a.url);
    const r = await request(`${gw.url}/endless`);
    let got = 0;
    for await (const c of r.body) {
      got += (c as Buffer).length;
      if (got > 200_000) break; // leaves: the body is destroyed, the connection closed
    }
    await closed; // resolves only if the proxy closed its upstream request
    expect(got).toBeGreaterThan(200_000);
  });

  it('a HEAD answer and a 204 have no body and complete', async () => {
    const a = await rawApp((req, res) => {
      if (req.url === '/empty') {
        res.writeHead(204);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-length': '5' });
      res.end(req.method === 'HEAD' ? undefined : 'hello');
    });
    server = a.server;
    gw = await startTestProxy(a.url);
    const head = await request(`${gw.url}/x`, { method: 'HEAD' });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-length']).toBe('5');
    await head.body.dump();
    const empty = await request(`${gw.url}/empty`);
    expect(empty.statusCode).toBe(204);
    expect(await empty.body.text()).toBe('');
    const full = await request(`${gw.url}/x`);
    expect(await full.body.text()).toBe('hello');
  });
});
