import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, assertBuilt, runCli } from './cli.js';
import { dockerignoreKeeps, parseCopy, parseDockerfile, type Stage } from './dockerfile.js';
import { loadBuild, readRepoFile } from './pod.js';
import { freePort } from '../helpers/wait.js';

const { stages } = parseDockerfile(readRepoFile('deploy/Dockerfile'));
const build = stages.find((s) => s.name === 'build')!;
const runtime = stages.at(-1)!;
const all = (s: Stage, cmd: string) => s.instructions.filter((i) => i.cmd === cmd).map((i) => i.args);
const one = (cmd: string) => all(runtime, cmd).at(-1) ?? '';
const healthcheck = JSON.parse(/CMD\s+(\[.*\])$/.exec(one('HEALTHCHECK'))![1]!) as string[];

describe('deploy/Dockerfile', () => {
  it('builds in one stage and runs production dependencies only in a node LTS slim image', () => {
    expect(stages).toHaveLength(2);
    for (const s of stages) expect(s.from).toMatch(/^node:(22|24)-bookworm-slim$/);
    const buildRuns = all(build, 'RUN').join('\n');
    expect(buildRuns).toMatch(/npm ci\b/);
    expect(buildRuns).toMatch(/npm run build\b/);
    const runs = all(runtime, 'RUN').join('\n');
    expect(runs).toMatch(/npm ci\b.*--omit=dev/);
    expect(runs).toMatch(/npm ci\b.*--ignore-scripts/);
    expect(runs).not.toMatch(/npm (install|i)\b/);
  });

  it('copies only files that exist, that .dockerignore keeps, or that the build stage produces', () => {
    const ignore = readRepoFile('.dockerignore');
    const copied: string[] = [];
    for (const s of stages) {
      for (const c of all(s, 'COPY').map(parseCopy)) {
        for (const src of c.sources) {
          if (c.from === 'build') {
            // WORKDIR /app + tsconfig's outDir: what `npm run build` writes.
            expect(src).toBe('/app/dist');
            expect(readRepoFile('tsconfig.json')).toMatch(/"outDir":\s*"dist"/);
            copied.push('dist');
            continue;
          }
          expect(c.from, src).toBeNull();
          expect(existsSync(path.join(ROOT, src)), `${src} exists`).toBe(true);
          expect(dockerignoreKeeps(ignore, src), `${src} is in the build context`).toBe(true);
          if (s === runtime) copied.push(src);
        }
      }
    }
    expect(copied).toEqual(expect.arrayContaining(['dist', 'bin', 'policies', 'package.json']));
    for (const secret of ['.env', 'node_modules', '.git', 'test', 'dist']) expect(dockerignoreKeeps(ignore, secret), secret).toBe(false);
  });

  it('runs as a non-root user with the production settings', () => {
    expect(one('USER')).not.toMatch(/^(root|0)(:|$)/);
    expect(one('USER')).not.toBe('');
    const env = all(runtime, 'ENV').join(' ');
    expect(env).toMatch(/\bNODE_ENV=production\b/);
    expect(env).toMatch(/\bSONO_GUARD_CONFIG=\/etc\/sono-guard\/policy\.yaml\b/);
  });

  it('exposes the ports the Kubernetes sidecar declares', () => {
    const exposed = one('EXPOSE').split(/\s+/).map(Number).sort();
    expect(exposed).toEqual([8080, 9901]);
    const ports = loadBuild('base').sidecar.ports!.map((p) => p.containerPort).sort();
    expect(ports).toEqual(exposed);
  });

  it('starts bin/sono-guard.js with node, and checks health with node (no curl in slim images)', () => {
    expect(JSON.parse(one('ENTRYPOINT'))).toEqual(['node', '--single-threaded-gc', '--heap-growing-percent=100', 'bin/sono-guard.js']);
    expect(JSON.parse(readRepoFile('package.json')).bin['sono-guard']).toBe('bin/sono-guard.js');
    expect(healthcheck[0]).toBe('node');
    expect(healthcheck.join(' ')).toContain('/api/v1/status/liveness');
    expect(one('HEALTHCHECK')).not.toMatch(/\b(curl|wget)\b/);
  });
});

describe('the image entrypoint, run from a copy of what the image holds', () => {
  let dir: string;
  beforeAll(() => {
    assertBuilt();
    dir = mkdtempSync(path.join(tmpdir(), 'sono-guard-image-'));
    for (const p of ['dist', 'bin', 'policies', 'package.json']) cpSync(path.join(ROOT, p), path.join(dir, p), { recursive: true });
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--help exits 0', () => {
    const r = runCli(['--help'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('validate');
  });

  it('validate policies/default.yaml exits 0', () => {
    const r = runCli(['validate', 'policies/default.yaml'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('policies/default.yaml: ok');
  });

  it('runs from $SONO_GUARD_CONFIG with no arguments; the HEALTHCHECK passes, then fails once it stops', async () => {
    const deadPort = await freePort(); // the app is not running: liveness must not care
    const policy = path.join(dir, 'policy.yaml');
    writeFileSync(policy, [
      'version: 1',
      'server: { listen: 127.0.0.1:0, admin: 127.0.0.1:0, drain_timeout: 2s, shutdown_delay: 0 }',
      `upstream: { url: "http://127.0.0.1:${deadPort}", health: { path: /health, interval: 1s, timeout: 250ms } }`,
      '',
    ].join('\n'));
    // exactly the image's entrypoint, V8 flags included
    const child = spawn(process.execPath, (JSON.parse(one('ENTRYPOINT')) as string[]).slice(1), {
      cwd: dir, env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', SONO_GUARD_CONFIG: policy }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "listening on" line; output:\n${out}`)), 15_000);
      const onData = (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      void exited.then((code) => reject(new Error(`exited ${code} before listening:\n${out}`)));
    }).catch((err: unknown) => {
      child.kill('SIGKILL'); // never leave the proxy running when the test fails
      throw err;
    });
    try {
      expect(runHealthcheck(`${url}/api/v1/status/liveness`)).toBe(0);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(runHealthcheck(`${url}/api/v1/status/liveness`)).toBe(1);
  });
});

function runHealthcheck(url: string): number | null {
  const [cmd, ...args] = healthcheck;
  return spawnSync(cmd!, args, { env: { PATH: process.env.PATH ?? '', SONO_GUARD_HEALTHCHECK_URL: url }, timeout: 10_000 }).status;
}

