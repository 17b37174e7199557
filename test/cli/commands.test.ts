import { describe, it, expect, afterEach } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import { startApp, type AppHandle } from '../../app/server.js';
import { freePort, until as waitFor } from '../helpers/wait.js';

// These run the built command (`npm test` compiles to dist/ first), as a user would.
const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin/sono-guard.js');
const dir = mkdtempSync(path.join(tmpdir(), 'sono-guard-cli-'));

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function file(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}

describe('sono-guard validate', () => {
  it('accepts the example policies with a one-line summary each', () => {
    const r = cli(['validate', 'policies/default.yaml', 'policies/production.yaml'], { REDIS_PASSWORD: 'x', SONO_GUARD_ADMIN_TOKEN: 'y' });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^policies\/default\.yaml: ok \(\d+ routes/);
  });

  it('rejects a broken file with every error as FILE:LINE:COL path: message and exit 1', () => {
    const f = file('broken.yaml', `version: 1
upstream: { url: http://127.0.0.1:8000, timeout: 5 parsecs }
rate_limits:
  per-ip: { key: ip, limits: [60/1m] }
routes:
  - match: { path: /api/** }
    rate_limit: per_ip
    cahce: x
`);
    const r = cli(['validate', f]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    const errs = r.err.trim().split('\n');
    expect(errs).toContain(`${f}:2:50 upstream.timeout: bad duration "5 parsecs": expected a whole number with a unit ms, s, m, h or d (e.g. "250ms", "5s", "1m"), or 0`);
    expect(errs).toContain(`${f}:7:17 routes.0.rate_limit: unknown rate limit "per_ip" (did you mean "per-ip"?)`);
    expect(errs.find((e) => e.includes('cahce'))).toMatch(new RegExp(`^${escape(f)}:8:5 routes\\.0\\.cahce: unknown key "cahce"`));
  });

  it('exit 1 for a missing file', () => {
    const r = cli(['validate', path.join(dir, 'nope.yaml')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('nope.yaml');
  });
});

describe('sono-guard schema and explain', () => {
  it('schema prints the committed JSON Schema', () => {
    const r = cli(['schema']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual(JSON.parse(readFileSync(path.join(root, 'policies/schema.json'), 'utf8')));
  });

  it('explain names the matching route and its policies in pipeline order', () => {
    const r = cli(['explain', '--config', 'policies/default.yaml', 'GET', '/api/v1/assessments/42']);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toBe('GET /api/v1/assessments/42');
    expect(lines[1]).toMatch(/route #\d+: \/api\/v1\/assessments\/\*/);
    const order = ['request id', 'timing', 'rate limit', 'cache', 'circuit breaker', 'forward'].map((w) => lines.findIndex((l) => l.includes(w)));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('explain says when no route matches', () => {
    const f = file('one-route.yaml', 'version: 1\nupstream: { url: http://127.0.0.1:8000 }\nroutes:\n  - match: { path: /api/** }\n');
    const r = cli(['explain', '--config', f, 'GET', '/other']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('none matches');
  });

  it('--help exits 0, an unknown command exits 1', () => {
    expect(cli(['--help']).code).toBe(0);
    expect(cli(['frobnicate']).code).toBe(1);
  });
});

describe('sono-guard run', () => {
  let app: AppHandle | undefined;
  let running: ChildProcess | undefined;
  afterEach(async () => {
    if (running && running.exitCode === null) running.kill('SIGKILL');
    running = undefined;
    await app?.close();
    app = undefined;
  });

  it('exit 1 for an invalid policy file, with the error', () => {
    const f = file('bad-run.yaml', 'version: 1\nupstream: { url: http://127.0.0.1:8000 }\nbogus: true\n');
    const r = cli(['--config', f]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${f}:3:1 bogus: unknown key "bogus"`);
  });

  it('exit 2 when the port is in use', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const f = file('busy.yaml', `version: 1\nserver: { listen: 127.0.0.1:${port}, admin: 127.0.0.1:0 }\nupstream: { url: http://127.0.0.1:1, health: { timeout: 100ms } }\n`);
      const r = cli(['--config', f]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/cannot start/);
    } finally {
      blocker.close();
    }
  });

  it('serves, logs one JSON line per request, and exits 0 on SIGTERM', async () => {
    app = await startApp({ port: 0 });
    const port = await freePort();
    const f = file('run.yaml', `version: 1\nserver: { listen: 127.0.0.1:${port}, admin: 127.0.0.1:0 }\nupstream: { url: ${app.url} }\n`);
    const child = spawn(process.execPath, [bin, '--config', f], { cwd: root });
    running = child; // killed after the test if it is still running (a failed assertion must not leak it)
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await waitFor(() => out.includes('listening'));
    const r = await request(`http://127.0.0.1:${port}/api/v1/candidates`, { headers: { 'x-request-id': 'cli-run-1' } });
    await r.body.dump();
    expect(r.statusCode).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const line = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.request_id === 'cli-run-1');
    expect(line).toMatchObject({
      level: 'info',
      message: expect.stringMatching(/^Request completed: GET \/api\/v1\/candidates returned 200 in \d+\.\d{3}s$/),
      method: 'GET',
      path: '/api/v1/candidates',
      route: '-',
      status_code: 200,
      client_ip: '127.0.0.1',
      cache: null,
      limited_by: null,
      breaker: null,
    });
    expect(typeof line!.duration_ms).toBe('number');
    expect(typeof line!.upstream_ms).toBe('number');
    expect(Date.parse(line!.timestamp as string)).not.toBeNaN();
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}


