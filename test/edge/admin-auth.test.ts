import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { startApp, type AppHandle } from '../../app/server.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { startProxy } from '../../src/proxy.js';
import { loadPolicyFile } from '../../src/config/load.js';
import { createLogger } from '../../src/observability/log.js';
import { adminHandler, type AdminActions } from '../../src/server/admin.js';
import { sendRaw } from './raw-client.js';

let app: AppHandle;

beforeAll(async () => {
  app = await startApp({ port: 0 });
});
afterAll(async () => {
  await app?.close();
});

const quiet = () => createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));

function policyFile(server: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sono-guard-admin-'));
  const file = path.join(dir, 'policy.yaml');
  writeFileSync(file, `version: 1\nserver:\n${server.replace(/^/gm, '  ')}\nupstream:\n  url: ${app.url}\n`);
  return file;
}

describe('the proxy refuses to start with a reachable admin listener and no token', () => {
  it('from the policy file (server.admin on 0.0.0.0)', async () => {
    const file = policyFile('listen: 127.0.0.1:0\nadmin: 0.0.0.0:0');
    await expect(startProxy({ file, logger: quiet(), watch: false })).rejects.toMatchObject({ code: 'EPOLICY', message: expect.stringMatching(/admin.*not loopback.*admin_token/s) });
  });

  it('from an admin address given at start (not via the file)', async () => {
    const file = policyFile('listen: 127.0.0.1:0\nadmin: 127.0.0.1:0');
    await expect(startProxy({ file, logger: quiet(), watch: false, admin: { host: '0.0.0.0', port: 0 } })).rejects.toMatchObject({ code: 'EPOLICY' });
  });

  it('and accepts the same file once a token is set (checked without binding a public address)', () => {
    const r = loadPolicyFile(policyFile('listen: 127.0.0.1:0\nadmin: 0.0.0.0:0\nadmin_token: a-long-token'), {});
    expect(r.ok).toBe(true);
  });
});

describe('bearer token on the admin listener', () => {
  let gw: TestProxy;
  beforeAll(async () => {
    gw = await startTestProxy(app.url, 'routes:\n  - match: { path: /** }\n', { server: 'admin_token: s3cret-token-value' });
  });
  afterAll(async () => {
    await gw?.close();
  });

  const call = async (method: string, p: string, auth?: string) => {
    const r = await sendRaw(gw.adminUrl, `${method} ${p} HTTP/1.1\r\nHost: admin\r\n${auth === undefined ? '' : `Authorization: ${auth}\r\n`}Content-Length: 0\r\n\r\n`, { responses: 1 });
    return r.responses[0]!;
  };

  it.each([
    ['no Authorization', undefined],
    ['an empty bearer', 'Bearer '],
    ['a wrong token', 'Bearer wrong'],
    ['a prefix of the token', 'Bearer s3cret-token'],
    ['the token plus a suffix', 'Bearer s3cret-token-value2'],
    ['Basic auth', 'Basic czNjcmV0LXRva2VuLXZhbHVl'],
    ['the token without a scheme', 's3cret-token-value'],
    ['the token with different case', 'Bearer S3CRET-TOKEN-VALUE'],
  ])('%s → 401 for reload, breaker forcing, purge and metrics', async (_what, auth) => {
    for (const [m, p] of [['POST', '/admin/reload'], ['POST', '/admin/breakers/x/open'], ['POST', '/admin/cache/purge'], ['GET', '/metrics']] as const) {
      const res = await call(m, p, auth);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    }
  });

  it('the right token is accepted', async () => {
    expect((await call('GET', '/metrics', 'Bearer s3cret-token-value')).status).toBe(200);
    expect((await call('POST', '/admin/reload', 'Bearer s3cret-token-value')).status).toBe(200);
  });

  it('the main listener never serves admin paths', async () => {
    const r = await sendRaw(gw.url, 'POST /admin/reload HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer s3cret-token-value\r\nContent-Length: 0\r\n\r\n', { responses: 1 });
    // Forwarded to the app like any unrouted path (404 there), never handled by the proxy.
    expect(r.responses[0]?.status).toBe(404);
  });
});

describe('an admin listener that is not loopback-only and has no token (a reload dropped it)', () => {
  it('refuses every mutating call and still serves reads', async () => {
    let reloads = 0;
    const actions: AdminActions = {
      registry: () => new Registry(),
      token: () => null,
      status: {},
      reload: async () => {
        reloads++;
        return { ok: true };
      },
      purge: async () => 0,
      breaker: () => true,
      loopbackOnly: false,
    };
    const server = http.createServer(adminHandler(actions));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      for (const p of ['/admin/reload', '/admin/breakers/x/open', '/admin/cache/purge']) {
        const r = await sendRaw(url, `POST ${p} HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n`, { responses: 1 });
        expect(r.responses[0]?.status).toBe(403);
      }
      expect(reloads).toBe(0);
      const m = await sendRaw(url, 'GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n', { responses: 1 });
      expect(m.responses[0]?.status).toBe(200);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
