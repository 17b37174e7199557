import { describe, it, expect, afterEach } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request, Agent } from 'undici';
import { startApp, type AppHandle } from '../../app/server.js';
import { until, freePort } from '../helpers/wait.js';

const root = path.resolve(import.meta.dirname, '../..');
let app: AppHandle | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  child?.kill('SIGKILL');
  await app?.close();
  app = child = undefined;
});

async function startCli(extraServer: string): Promise<{ url: string; out: () => string; exit: Promise<number | null> }> {
  app = await startApp({ port: 0 });
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'sono-guard-drain-'));
  const file = path.join(dir, 'policy.yaml');
  writeFileSync(file, `version: 1
server: { listen: 127.0.0.1:${port}, admin: 127.0.0.1:0, ${extraServer} }
upstream: { url: ${app.url} }
routes:
  - match: { path: /** }
`);
  const c = spawn(process.execPath, [path.join(root, 'bin/sono-guard.js'), '--config', file], { cwd: root });
  child = c;
  let out = '';
  c.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  c.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exit = new Promise<number | null>((resolve) => c.on('exit', (code) => resolve(code)));
  const end = Date.now() + 10_000;
  while (!out.includes('listening')) {
    if (Date.now() > end) throw new Error(`proxy did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { url: `http://127.0.0.1:${port}`, out: () => out, exit };
}

describe('graceful shutdown on SIGTERM', () => {
  it('20 slow requests in flight all complete, readiness is 503 during the drain, exit 0', async () => {
    const p = await startCli('shutdown_delay: 2s, drain_timeout: 20s');
    await app!.faults.set({ mode: 'slow', delayMs: 3500, paths: '/api/' });
    const agent = new Agent({ connections: 30 });
    const slow = Array.from({ length: 20 }, (_, i) =>
      request(`${p.url}/api/v1/candidates?i=${i}`, { dispatcher: agent }).then(async (r) => ({ status: r.statusCode, connection: r.headers.connection, body: await r.body.text() })),
    );
    await until(() => app!.log.count('/api/') === 20);
    child!.kill('SIGTERM');
    await until(() => p.out().includes('Shutting down'));
    // During shutdown_delay the proxy still answers, and says it is not ready.
    const ready = await request(`${p.url}/api/v1/status/readiness`);
    expect(ready.statusCode).toBe(503);
    expect(((await ready.body.json()) as { reasons: string[] }).reasons).toContain('draining');
    const results = await Promise.all(slow);
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(await p.exit).toBe(0);
    expect(p.out()).toContain('Drained: every in-flight request finished');
    await agent.close();
  });

  it('past drain_timeout the stop is forced: exit 1 and a log line naming what was cut', async () => {
    const p = await startCli('shutdown_delay: 0, drain_timeout: 500ms');
    await app!.faults.set({ mode: 'hang', paths: '/api/' });
    const pending = request(`${p.url}/api/v1/candidates`).then((r) => r.statusCode, () => 'cut');
    await until(() => app!.log.count('/api/') === 1);
    child!.kill('SIGTERM');
    expect(await p.exit).toBe(1);
    expect(await pending).toBe('cut');
    expect(p.out()).toMatch(/cutting 1 request\(s\): GET \/api\/v1\/candidates/);
  });

  it('a second SIGTERM stops at once with exit 1', async () => {
    const p = await startCli('shutdown_delay: 0, drain_timeout: 30s');
    await app!.faults.set({ mode: 'hang', paths: '/api/' });
    const pending = request(`${p.url}/api/v1/candidates`).catch(() => 'cut');
    await until(() => app!.log.count('/api/') === 1);
    child!.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    child!.kill('SIGTERM');
    expect(await p.exit).toBe(1);
    await pending;
  });
});


