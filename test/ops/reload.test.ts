import { describe, it, expect } from 'vitest';
import { writeFileSync, renameSync, mkdirSync, symlinkSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { request } from 'undici';
import { startApp, type AppHandle } from '../../app/server.js';
import { closeAfterEach, startTestProxy, policyText, type TestProxy } from '../helpers/proxy.js';
import { startProxy } from '../../src/proxy.js';
import { createLogger } from '../../src/observability/log.js';
import { until } from '../helpers/wait.js';

let app: AppHandle;
let gw: TestProxy;
const track = closeAfterEach();

const BREAKERS = `breakers:
  api: { failure_rate: 50%, window: 10, min_calls: 5, open_for: 1m }
`;
const routes = (extra = '') => `${BREAKERS}${extra}routes:
  - match: { path: /api/** }
    breaker: api
`;

async function reloads(result: 'success' | 'failure'): Promise<number> {
  const text = await (await request(`${gw!.adminUrl}/metrics`)).body.text();
  const m = new RegExp(`config_reloads_total\\{result="${result}"\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
}


describe('reload', () => {
  it('an editor-style atomic rename is picked up; unchanged policies keep their state', async () => {
    app = track(await startApp({ port: 0 }));
    gw = track(await startTestProxy(app.url, routes()));
    await request(`${gw.adminUrl}/admin/breakers/api/open`, { method: 'POST' }).then((r) => r.body.dump());
    // Change something else: a new route in front.
    const tmp = `${gw.file}.tmp`;
    writeFileSync(tmp, policyText(app.url, routes().replace('routes:\n', 'routes:\n  - match: { path: /docs/** }\n')));
    renameSync(tmp, gw.file);
    await until(async () => (await reloads('success')) === 1);
    // The breaker's definition did not change: it is still held open.
    const r = await request(`${gw.url}/api/v1/candidates`);
    expect(r.statusCode).toBe(503);
    expect(((await r.body.json()) as { code: string }).code).toBe('circuit_open');
    expect(gw.logs.some((l) => l.message === 'Configuration reloaded (file change)')).toBe(true);
  });

  it('a changed policy gets fresh state', async () => {
    app = track(await startApp({ port: 0 }));
    gw = track(await startTestProxy(app.url, routes()));
    await request(`${gw.adminUrl}/admin/breakers/api/open`, { method: 'POST' }).then((r) => r.body.dump());
    writeFileSync(gw.file, policyText(app.url, routes().replace('open_for: 1m', 'open_for: 2m')));
    expect((await gw.proxy.reload()).ok).toBe(true);
    const r = await request(`${gw.url}/api/v1/candidates`);
    expect(r.statusCode).toBe(200);
    await r.body.dump();
  });

  it('a Kubernetes ConfigMap symlink swap is picked up', async () => {
    app = track(await startApp({ port: 0 }));
    // Lay out the volume as the kubelet does: policy.yaml → ..data/policy.yaml, ..data → ..<timestamp>.
    const dir = mkdtempSync(path.join(tmpdir(), 'sono-guard-configmap-'));
    mkdirSync(path.join(dir, '..v1'));
    writeFileSync(path.join(dir, '..v1', 'policy.yaml'), policyText(app.url, routes()));
    symlinkSync('..v1', path.join(dir, '..data'));
    symlinkSync('..data/policy.yaml', path.join(dir, 'policy.yaml'));
    const proxy = await startProxy({ file: path.join(dir, 'policy.yaml'), listen: { host: '127.0.0.1', port: 0 }, admin: { host: '127.0.0.1', port: 0 }, logger: createLogger('silent') });
    try {
      const before = await request(`${proxy.url}/api/v1/candidates`, { headers: { host: 'elsewhere.example' } });
      expect(before.statusCode).toBe(200);
      await before.body.dump();
      mkdirSync(path.join(dir, '..v2'));
      writeFileSync(path.join(dir, '..v2', 'policy.yaml'), policyText(app.url, routes(), 'allowed_hosts: [only.example]'));
      symlinkSync('..v2', path.join(dir, '..data_tmp'));
      renameSync(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
      await until(async () => {
        const r = await request(`${proxy.url}/api/v1/candidates`, { headers: { host: 'elsewhere.example' } });
        await r.body.dump();
        return r.statusCode === 421;
      });
    } finally {
      await proxy.close();
    }
  });

  it('an invalid edit under load changes nothing and causes no error response', async () => {
    app = track(await startApp({ port: 0 }));
    gw = track(await startTestProxy(app.url, routes()));
    const statuses: number[] = [];
    let stop = false;
    const load = (async () => {
      while (!stop) {
        const r = await request(`${gw!.url}/api/v1/candidates`);
        statuses.push(r.statusCode);
        await r.body.dump();
      }
    })();
    writeFileSync(gw.file, policyText(app.url, routes() + '  - match: { path: /x }\n    breaker: nope\n'));
    await until(async () => (await reloads('failure')) === 1);
    await new Promise((r) => setTimeout(r, 100));
    stop = true;
    await load;
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200)).toBe(true);
    const sys = (await (await request(`${gw.url}/api/v1/status/system`)).body.json()) as { configuration: { last_reload_error: string }; health: { components: { config: string } } };
    expect(sys.configuration.last_reload_error).toMatch(new RegExp(`^${gw.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+ routes\\.1\\.breaker: unknown breaker "nope"`));
    expect(sys.health.components.config).toBe('degraded');
    // POST /admin/reload says the same and still keeps the old policies.
    const r = await request(`${gw.adminUrl}/admin/reload`, { method: 'POST' });
    expect(r.statusCode).toBe(422);
    expect(((await r.body.json()) as { errors: string[] }).errors[0]).toContain('unknown breaker "nope"');
  });

  it('SIGHUP reloads the running command', async () => {
    app = track(await startApp({ port: 0 }));
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'sono-guard-hup-')), 'hup.yaml');
    // Port 0: a random fixed port could be an ephemeral port another test's connection holds.
    const text = (server: string) => `version: 1\nserver: { listen: 127.0.0.1:0, admin: 127.0.0.1:0${server} }\nupstream: { url: ${app!.url} }\n`;
    writeFileSync(file, text(''));
    const root = path.resolve(import.meta.dirname, '../..');
    const c = spawn(process.execPath, [path.join(root, 'bin/sono-guard.js'), '--config', file], { cwd: root });
    let out = '';
    let err = '';
    c.stdout.on('data', (b: Buffer) => (out += b.toString()));
    c.stderr.on('data', (b: Buffer) => (err += b.toString()));
    try {
      await until(() => out.includes('listening') || c.exitCode !== null);
      expect(err).toBe('');
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
      // Rewrite in place; the watcher would also see it, so look for the SIGHUP line specifically.
      writeFileSync(file, text(', allowed_hosts: [only.example]'));
      c.kill('SIGHUP');
      await until(() => out.includes('Configuration reloaded (SIGHUP)'));
      const r = await request(`${url}/api/v1/candidates`);
      expect(r.statusCode).toBe(421);
      await r.body.dump();
    } finally {
      c.kill('SIGKILL');
    }
  });
});
