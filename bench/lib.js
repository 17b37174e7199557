// Helpers shared by the bench scripts: child processes, /proc CPU counters,
// autocannon runs and medians.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import autocannon from 'autocannon';

const TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS;
}

/** Resident set size of a process in MiB. */
export function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export async function waitForPort(port, ms = 15000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await new Promise((r) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); r(true); });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listening on ${port} after ${ms} ms`);
}

const children = new Set();
export function startChild(cmd, args, env = {}) {
  const c = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  children.add(c);
  c.on('exit', () => children.delete(c));
  return c;
}
export function stopAll() {
  for (const c of children) c.kill('SIGKILL');
}
process.on('exit', stopAll);
process.on('SIGINT', () => { stopAll(); process.exit(130); });

/** One autocannon run; returns requests/s, latency percentiles and the CPU the watched process used per request. */
export async function measure({ url, pid, duration, connections = 50, headers = {}, method = 'GET', overallRate, expectStatus }) {
  const cpu0 = pid ? cpuSeconds(pid) : 0;
  const r = await autocannon({ url, duration, connections, headers, method, overallRate, pipelining: 1 });
  const cpu = pid ? cpuSeconds(pid) - cpu0 : NaN;
  const total = r.requests.total;
  const statuses = { '2xx': r['2xx'], '3xx': r['3xx'], '4xx': r['4xx'], '5xx': r['5xx'], errors: r.errors, timeouts: r.timeouts };
  const unexpected = expectStatus === '4xx' ? r['2xx'] + r['5xx'] : expectStatus === '5xx' ? r['2xx'] + r['4xx'] : r['4xx'] + r['5xx'];
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    cpuUsPerReq: total > 0 ? (cpu * 1e6) / total : NaN,
    rss: pid ? rssMiB(pid) : NaN,
    total,
    statuses,
    unexpected: unexpected + r.errors,
  };
}

export const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
