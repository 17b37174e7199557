// The processes a bench run starts: the assessment app, the bare forwarder
// and sono-guard instances, each from the built `dist/` and on a chosen core.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, http, startChild, waitForPort } from './lib.js';
import { IMAGE_NODE_FLAGS } from '../scripts/image-flags.js';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const node = process.execPath;

/** Fail early, with the fix, when the build is missing. */
export function requireBuild() {
  for (const f of ['dist/src/cli.js', 'dist/app/main.js']) {
    if (!existsSync(path.join(root, f))) {
      console.error(`bench: ${f} is missing; build first with \`npx tsc -p .\` (or \`npm run build\`)`);
      process.exit(1);
    }
  }
}

export async function startApp(core) {
  const port = await freePort();
  // APP_REQUEST_LOG=0: the bench reads per-path counts only; the header ring
  // the tests use made the app run a full GC every ~3 s at 2,000 req/s,
  // which every row's p99 then carried.
  const c = startChild(node, [path.join(root, 'dist/app/main.js')], { env: { PORT: String(port), HOST: '127.0.0.1', APP_REQUEST_LOG: '0' }, core });
  await waitForPort(port);
  return { url: `http://127.0.0.1:${port}`, port, pid: c.pid };
}

export async function startBare(appUrl, core) {
  const port = await freePort();
  const c = startChild(node, [path.join(root, 'bench/bare-forwarder.js')], { env: { PORT: String(port), UPSTREAM: appUrl }, core });
  await waitForPort(port);
  return { url: `http://127.0.0.1:${port}`, pid: c.pid };
}

/** The node flags deploy/Dockerfile's ENTRYPOINT gives sono-guard (read from it, so the two cannot drift). */
export { IMAGE_NODE_FLAGS };

/** Store section for a Redis-backed instance: the shared Redis, under a prefix no one else uses. */
export const redisPrefix = `sono-guard-bench:${process.pid}-${Date.now().toString(36)}:`;
export const REDIS_URL = 'redis://127.0.0.1:6379';

export function redisUp() {
  return new Promise((resolve) => {
    const s = net.connect(6379, '127.0.0.1');
    s.setTimeout(1000);
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => { s.destroy(); resolve(d.toString().startsWith('+PONG')); });
    s.on('error', () => resolve(false));
    s.on('timeout', () => { s.destroy(); resolve(false); });
  });
}

/**
 * Start `bin/sono-guard.js --config FILE` with `body` (the policy after
 * server/upstream/store) on `core`. `server` adds keys to the server section;
 * `nodeArgs` go to node (e.g. --cpu-prof).
 */
export async function startSonoGuard({ name, body, store = 'memory', appPort, dir, core, server = '', nodeArgs = [], logLevel = 'info', env = {} }) {
  const port = await freePort();
  const admin = await freePort();
  const file = path.join(dir, `${name}.yaml`);
  const storeYaml = store === 'redis' ? `store: { kind: redis, url: ${REDIS_URL}, prefix: "${redisPrefix}${name}:" }` : 'store: { kind: memory }';
  writeFileSync(file, `version: 1
server: { listen: 127.0.0.1:${port}, admin: 127.0.0.1:${admin}, shutdown_delay: 0${server} }
upstream: { url: http://127.0.0.1:${appPort} }
${storeYaml}
logging: { level: ${logLevel} }
${body}`);
  // Started as the image starts it (deploy/Dockerfile's ENTRYPOINT flags).
  const c = startChild(node, [...IMAGE_NODE_FLAGS, ...nodeArgs, path.join(root, 'bin/sono-guard.js'), '--config', file], { core, env });
  guards.push(c);
  await waitForPort(port);
  await waitForPort(admin);
  return { name, url: `http://127.0.0.1:${port}`, adminUrl: `http://127.0.0.1:${admin}`, pid: c.pid, file };
}

const guards = [];
/** SIGTERM every sono-guard started here and wait for it to exit (CPU profiles are written on exit). */
export async function stopGracefully(ms = 15000) {
  await Promise.all(guards.map((c) => (c.exitCode !== null || c.signalCode !== null ? null : new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    c.once('exit', () => { clearTimeout(t); resolve(); });
    c.kill('SIGTERM');
  }))));
}

/** POST /admin/breakers/NAME/open on an instance's admin listener. */
export async function holdBreakerOpen(p, breaker) {
  const r = await http(`${p.adminUrl}/admin/breakers/${encodeURIComponent(breaker)}/open`, { method: 'POST' });
  if (r.status !== 200) throw new Error(`forcing breaker ${breaker} open on ${p.name}: ${r.status} ${r.text}`);
}

/** Create one assessment in the app; returns its path. Each row reads its own, so the app's request log counts rows apart. */
export async function createAssessment(appUrl, candidate) {
  const r = await http(`${appUrl}/api/v1/assessments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ candidate_id: candidate, answers: [{ question_id: 'q1', answer: 'a' }] }),
  });
  if (r.status !== 201) throw new Error(`creating an assessment: ${r.status} ${r.text}`);
  return `/api/v1/assessments/${JSON.parse(r.text).id}`;
}

/** Requests the app received under a path prefix (its request log). */
export async function appCount(appUrl, prefix) {
  const r = await http(`${appUrl}/__control/requests?path=${encodeURIComponent(prefix)}`);
  return JSON.parse(r.text).count;
}

/** pid of the redis-server listening on 127.0.0.1:6379 (from `ss`), or null. */
export function redisPid() {
  const r = spawnSync('ss', ['-ltnpH', 'sport = :6379'], { encoding: 'utf8' });
  const m = /redis-server",pid=(\d+)/.exec(r.stdout ?? '');
  return m ? Number(m[1]) : null;
}

/** Delete every key under the bench's Redis prefix (SCAN + DEL; nothing else is touched). */
export async function cleanRedis() {
  const { Redis } = await import('ioredis');
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  let n = 0;
  try {
    await r.connect();
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) n += await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
  return n;
}
