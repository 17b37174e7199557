import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { startApp, type AppHandle } from '../../app/server.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { parseResponses, type WireResponse } from './raw-client.js';

let app: AppHandle;
let gw: TestProxy;
let dir: string;
let certA: { cert: string; key: string };
let certB: { cert: string; key: string };

/** A throwaway self-signed P-256 certificate for 127.0.0.1, made with openssl. */
function makeCert(cn: string): { cert: string; key: string } {
  const d = mkdtempSync(path.join(tmpdir(), 'sono-guard-cert-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', path.join(d, 'k.pem'), '-out', path.join(d, 'c.pem'), '-days', '1',
    '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'ignore' });
  return { cert: readFileSync(path.join(d, 'c.pem'), 'utf8'), key: readFileSync(path.join(d, 'k.pem'), 'utf8') };
}

const fp = (pem: string) => new X509Certificate(pem).fingerprint256;

/** Replace both files atomically (write aside, rename), as a Secret volume update does. */
function install(c: { cert: string; key: string }): void {
  writeFileSync(path.join(dir, 'tls.key.tmp'), c.key);
  writeFileSync(path.join(dir, 'tls.crt.tmp'), c.cert);
  renameSync(path.join(dir, 'tls.key.tmp'), path.join(dir, 'tls.key'));
  renameSync(path.join(dir, 'tls.crt.tmp'), path.join(dir, 'tls.crt'));
}

beforeAll(async () => {
  certA = makeCert('sono-guard-a');
  certB = makeCert('sono-guard-b');
  dir = mkdtempSync(path.join(tmpdir(), 'sono-guard-tls-'));
  install(certA);
  app = await startApp({ port: 0 });
  gw = await startTestProxy(app.url, 'routes:\n  - match: { path: /** }\n', {
    server: `tls:\n  cert: ${path.join(dir, 'tls.crt')}\n  key: ${path.join(dir, 'tls.key')}\n  hsts: { max_age: 1d, include_subdomains: true }`,
  });
});
afterAll(async () => {
  await gw?.close();
  await app?.close();
});

/** A TLS connection to the proxy that can send several requests (keep-alive). */
async function connect(opts: tls.ConnectionOptions = {}): Promise<{ socket: tls.TLSSocket; fingerprint: string; protocol: string | null; get(target: string): Promise<WireResponse> }> {
  const u = new URL(gw.url);
  const socket = tls.connect({ host: '127.0.0.1', port: Number(u.port), rejectUnauthorized: false, ...opts });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve());
    socket.once('error', reject);
  });
  let raw = '';
  let want = 0;
  let wake: (() => void) | null = null;
  socket.on('data', (c: Buffer) => {
    raw += c.toString('latin1');
    if (parseResponses(raw).length >= want) wake?.();
  });
  return {
    socket,
    fingerprint: socket.getPeerCertificate().fingerprint256,
    protocol: socket.getProtocol(),
    get(target: string) {
      want++;
      socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      return new Promise((resolve) => {
        wake = () => {
          const all = parseResponses(raw);
          if (all.length >= want) resolve(all[want - 1]!);
        };
        wake();
      });
    },
  };
}

describe('HTTPS main listener (server.tls)', () => {
  it('serves HTTPS, tells the app X-Forwarded-Proto: https, and sends HSTS', async () => {
    expect(gw.url.startsWith('https://')).toBe(true);
    const c = await connect();
    expect(c.fingerprint).toBe(fp(certA.cert));
    const res = await c.get('/api/v1/echo');
    expect(res.status).toBe(200);
    expect(res.headers['strict-transport-security']).toBe('max-age=86400; includeSubDomains');
    const seen = JSON.parse(res.body) as { headers: Record<string, string> };
    expect(seen.headers['x-forwarded-proto']).toBe('https');
    // The proxy's own errors carry HSTS too.
    const bad = await c.get('/a/../../b');
    expect(bad.status).toBe(400);
    expect(bad.headers['strict-transport-security']).toBe('max-age=86400; includeSubDomains');
    c.socket.destroy();
  });

  it('negotiates TLS 1.3 by default, accepts 1.2, refuses 1.1', async () => {
    const d = await connect();
    expect(d.protocol).toBe('TLSv1.3');
    d.socket.destroy();
    const v12 = await connect({ maxVersion: 'TLSv1.2' });
    expect(v12.protocol).toBe('TLSv1.2');
    v12.socket.destroy();
    // SECLEVEL=0 lets this client offer 1.1 at all; the server must still refuse it.
    await expect(connect({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' })).rejects.toThrow();
  });

  it('replacing the files switches the certificate for new connections without dropping open ones', async () => {
    const before = await connect();
    expect(before.fingerprint).toBe(fp(certA.cert));
    expect((await before.get('/api/v1/echo')).status).toBe(200);

    install(certB);
    let now = '';
    for (let i = 0; i < 100 && now !== fp(certB.cert); i++) {
      const c = await connect();
      now = c.fingerprint;
      c.socket.destroy();
      if (now !== fp(certB.cert)) await new Promise((r) => setTimeout(r, 50));
    }
    expect(now).toBe(fp(certB.cert));
    expect(gw.logs.some((l) => l.message === 'TLS certificate reloaded' && l.fingerprint256 === fp(certB.cert))).toBe(true);

    // The connection opened before the swap is still served.
    expect(before.socket.destroyed).toBe(false);
    expect((await before.get('/api/v1/echo')).status).toBe(200);
    before.socket.destroy();
  });

  it('a mismatched key and certificate are refused; the current certificate stays', async () => {
    const current = (await connect()).fingerprint;
    install({ cert: certA.cert, key: certB.key });
    for (let i = 0; i < 100 && !gw.logs.some((l) => String(l.message).startsWith('New TLS certificate or key rejected')); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(gw.logs.some((l) => String(l.message).startsWith('New TLS certificate or key rejected'))).toBe(true);
    const c = await connect();
    expect(c.fingerprint).toBe(current);
    expect((await c.get('/api/v1/echo')).status).toBe(200);
    c.socket.destroy();
  });
});
