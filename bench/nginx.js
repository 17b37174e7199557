// NGINX as a child process: the config in bench/nginx/ with its ports and
// paths filled in, a temporary prefix directory, `daemon off`, one worker.
// The rows measure the worker's CPU (the master only supervises).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { childPids, freePort, onStop, sleep, startChild, waitForPort } from './lib.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** The nginx binary and its version, or null when NGINX is not installed. */
export function findNginx() {
  for (const bin of ['nginx', '/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx']) {
    const r = spawnSync(bin, ['-v'], { encoding: 'utf8' });
    if (r.status === 0) return { bin, version: (r.stderr || r.stdout).trim().replace(/^nginx version: /, '') };
  }
  return null;
}

/**
 * Start NGINX in front of the app at `appPort`, on `core`. Returns the ports of
 * its three servers (plain, cache, limit), the worker's pid and `stop()`.
 */
export async function startNginx({ bin, appPort, dir, core }) {
  const prefix = path.join(dir, 'nginx');
  mkdirSync(prefix, { recursive: true });
  // The worker drops root privileges: it must be able to reach its cache and temp directories.
  chmodSync(dir, 0o755);
  chmodSync(prefix, 0o755);
  const ports = { plain: await freePort(), cache: await freePort(), limit: await freePort() };
  const vars = {
    PREFIX: prefix,
    APP_PORT: appPort,
    PLAIN_PORT: ports.plain,
    CACHE_PORT: ports.cache,
    LIMIT_PORT: ports.limit,
    // As root, run the worker as root too: its temp and cache directories are ours.
    USER: process.getuid?.() === 0 ? 'user root;' : '',
  };
  const conf = readFileSync(path.join(here, 'nginx/nginx.conf'), 'utf8').replace(/\{\{(\w+)\}\}/g, (_, k) => {
    if (!(k in vars)) throw new Error(`bench/nginx/nginx.conf: unknown placeholder {{${k}}}`);
    return String(vars[k]);
  });
  const file = path.join(prefix, 'nginx.conf');
  writeFileSync(file, conf);
  const test = spawnSync(bin, ['-t', '-q', '-p', prefix, '-c', file, '-e', path.join(prefix, 'error.log')], { encoding: 'utf8' });
  if (test.status !== 0) throw new Error(`nginx -t failed: ${test.stderr.trim()}`);
  const master = startChild(bin, ['-p', prefix, '-c', file, '-e', path.join(prefix, 'error.log')], { core });
  for (const p of Object.values(ports)) await waitForPort(p);
  // Killing only the master would orphan its children (worker, cache manager, cache
  // loader), and killing a child first makes the master start another: note the children,
  // kill the master, then them.
  onStop(() => {
    const kids = childPids(master.pid);
    master.kill('SIGKILL');
    for (const pid of kids) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
  });
  let worker;
  for (let i = 0; i < 100 && worker === undefined; i++) {
    worker = childPids(master.pid).find((pid) => cmdline(pid).includes('worker process'));
    if (worker === undefined) await sleep(20);
  }
  if (worker === undefined) throw new Error('nginx started no worker');
  /** Graceful stop: the master stops its children and waits for them. */
  const stop = () => new Promise((resolve) => {
    if (master.exitCode !== null || master.signalCode !== null) return resolve();
    const t = setTimeout(resolve, 5000);
    master.once('exit', () => { clearTimeout(t); resolve(); });
    master.kill('SIGTERM');
  });
  return { ports, pid: worker, masterPid: master.pid, stop };
}
