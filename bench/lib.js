// Helpers shared by the bench scripts: child processes pinned to a core,
// /proc CPU and memory counters, one autocannon run with exact latency
// percentiles, medians.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import net from 'node:net';
import autocannon from 'autocannon';

/** USER_HZ: the unit of utime/stime in /proc/PID/stat (100 on every Linux we run on; asked once). */
const TICKS = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout);
  return r.status === 0 && n > 0 ? n : 100;
})();

/** CPU seconds (user + system, all threads) a process has used so far, from /proc/PID/stat. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS;
}

/** CPU seconds the whole machine spent busy (all CPUs), from /proc/stat. */
export function machineBusySeconds() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: everything but idle and iowait
  return (f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] || 0)) / TICKS;
}

/** CPU seconds used by this process and every live descendant (NGINX workers included). */
export function treeCpuSeconds() {
  let sum = 0;
  const seen = new Set();
  const walk = (pid) => {
    if (seen.has(pid)) return;
    seen.add(pid);
    try { sum += cpuSeconds(pid); } catch { return; }
    for (const c of childPids(pid)) walk(c);
  };
  walk(process.pid);
  return sum;
}

/** Resident set size of a process in MiB, from /proc/PID/status. */
export function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Direct children of a process (e.g. NGINX's worker under its master). */
export function childPids(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Core placement. With `taskset` and at least two CPUs, the bench process
 * (autocannon, the orchestration, and the app it starts) runs on core 0 and
 * every process under test gets core 1 to itself, so the CPU it uses per
 * request is not inflated by sharing a core with the load generator.
 */
export function planCores() {
  const n = cpus().length;
  const has = spawnSync('taskset', ['-V']).status === 0;
  if (!has || n < 2) return { pinned: false, why: !has ? 'taskset not found' : `${n} CPU`, load: null, proxy: null };
  const ok = spawnSync('taskset', ['-pc', '0', String(process.pid)]).status === 0;
  if (!ok) return { pinned: false, why: 'taskset refused', load: null, proxy: null };
  return { pinned: true, why: `${n} CPUs`, load: 0, proxy: 1 };
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

export async function waitForPort(port, ms = 20000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await new Promise((r) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); r(true); });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`nothing listening on ${port} after ${ms} ms`);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const children = new Set();
/** The inspector's banner lines, not worth showing. */
const NOISE = /^(Debugger listening on|Debugger ending on|For help, see:|Debugger attached|Waiting for the debugger)/;

/** Start a child (on `core` when given); stdout discarded (the proxy's request log), stderr shown. */
export function startChild(cmd, args, { env = {}, core = null, cwd } = {}) {
  const [file, argv] = core === null ? [cmd, args] : ['taskset', ['-c', String(core), cmd, ...args]];
  const c = spawn(file, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'], cwd });
  let rest = '';
  c.stderr.setEncoding('utf8').on('data', (d) => {
    const lines = (rest + d).split('\n');
    rest = lines.pop();
    for (const l of lines) if (!NOISE.test(l)) process.stderr.write(l + '\n');
  });
  children.add(c);
  c.on('exit', () => children.delete(c));
  return c;
}
const extraStops = [];
/** Register a cleanup for processes not killed by SIGKILL of our direct child (NGINX workers). */
export function onStop(fn) {
  extraStops.push(fn);
}
export function stopAll() {
  for (const fn of extraStops.splice(0)) {
    try { fn(); } catch { /* already gone */ }
  }
  for (const c of children) c.kill('SIGKILL');
}
process.on('exit', stopAll);
process.on('SIGINT', () => { stopAll(); process.exit(130); });
process.on('SIGTERM', () => { stopAll(); process.exit(143); });

/** Send every process in `pids` SIGSTOP (`pause`) or SIGCONT (`resume`); ones already gone are skipped. */
export function signalAll(pids, sig) {
  for (const pid of pids) {
    try {
      process.kill(pid, sig === 'pause' ? 'SIGSTOP' : 'SIGCONT');
    } catch { /* already gone */ }
  }
}

const T0 = Date.now();
/** A progress line on stderr, with the seconds since the bench started. */
export const progress = (msg) => process.stderr.write(`[${((Date.now() - T0) / 1000).toFixed(1).padStart(5)} s] ${msg}\n`);

/** Nearest-rank percentile of a sorted Float64Array. */
function pct(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/**
 * One autocannon run. Latency percentiles are computed here from every
 * response's own time (autocannon's histogram has 1 ms resolution, too coarse
 * on loopback), over all statuses. Requests/s is responses over wall time.
 * CPU per request is the watched process's CPU during the run over responses.
 * `alsoPid` (the Redis server) is measured the same way and not counted as other load.
 * `otherLoad` is how many CPUs the rest of the machine kept busy meanwhile:
 * a noisy neighbour shows up there rather than silently in the numbers.
 */
export async function measure({ url, pid, duration, connections = 50, headers = {}, method = 'GET', overallRate, alsoPid }) {
  const times = [];
  // autocannon checks for the end of a run on each sample tick (default 1 s): tick often so fractional durations hold.
  const inst = autocannon({ url, duration, connections, headers, method, overallRate, pipelining: 1, sampleInt: 100 });
  inst.on('response', (_client, _status, _bytes, ms) => times.push(ms));
  const cpu0 = pid ? cpuSeconds(pid) : 0;
  const also0 = alsoPid ? cpuSeconds(alsoPid) : 0;
  const machine0 = machineBusySeconds();
  const tree0 = treeCpuSeconds();
  const t0 = process.hrtime.bigint();
  const r = await inst;
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = pid ? cpuSeconds(pid) - cpu0 : NaN;
  const also = alsoPid ? cpuSeconds(alsoPid) - also0 : 0;
  const tree = treeCpuSeconds() - tree0 + also;
  const machine = machineBusySeconds() - machine0;
  const total = r.requests.total;
  const sorted = Float64Array.from(times).sort();
  const statuses = {};
  for (const [code, v] of Object.entries(r.statusCodeStats ?? {})) statuses[code] = v.count;
  return {
    rps: total / wall,
    p50: pct(sorted, 50),
    p90: pct(sorted, 90),
    p99: pct(sorted, 99),
    // autocannon's own percentiles (2xx only, corrected for coordinated omission at a fixed rate), 1 ms resolution
    autocannon: { p50: r.latency.p50, p99: r.latency.p99 },
    cpuUsPerReq: total > 0 ? (cpu * 1e6) / total : NaN,
    cpuShare: cpu / wall,
    alsoCpuUsPerReq: alsoPid && total > 0 ? (also * 1e6) / total : NaN,
    // CPUs kept busy by everything outside this bench (other users of a shared machine, kernel threads) during the run
    otherLoad: Math.max(0, (machine - tree) / wall),
    rss: pid ? rssMiB(pid) : NaN,
    total,
    statuses,
    errors: r.errors,
    timeouts: r.timeouts,
  };
}

export const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** GET or POST a URL; returns { status, headers, text }. */
export async function http(url, { method = 'GET', body, headers = {} } = {}) {
  const res = await fetch(url, { method, body, headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Sum of one Prometheus metric's samples whose labels contain every `labels` pair. */
export function metricValue(text, name, labels = {}) {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
