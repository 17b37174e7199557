#!/usr/bin/env node
// Memory bounds (part of `npm run bench`; alone: `node bench/memory.js [--quick]`).
//
// 1. Client IPs: requests from 1,000,000 distinct client IPs (X-Forwarded-For
//    from a trusted loopback peer) through the default per-IP limit. The route
//    also has a breaker held OPEN, so each request is counted by the limiter
//    (which runs first) and then answered by the proxy itself: the app's own
//    cost stays out of it and a million requests take under a minute. Raw
//    keep-alive sockets with pipelined requests: autocannon cannot vary a
//    header per request this cheaply.
// 2. Cache: distinct cacheable URLs through a cache until 3× its max_bytes
//    went in; RSS after each 1× fill shows whether it stays flat.
// Both proxies run with --inspect on a loopback port so that, at the end, the
// bench can force a full GC and report what is really held.
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { freePort, http, onStop, planCores, progress, rssMiB, sleep, stopAll } from './lib.js';
import { inspect } from './cdp.js';
import { holdBreakerOpen, requireBuild, startApp, startSonoGuard } from './procs.js';

const BREAKER = `  held-open: { failure_rate: 50%, window: 20, min_calls: 10, consecutive_failures: 5, slow_call: 5s, open_for: 30s, half_open_calls: 3 }`;

const IPS_POLICY = `rate_limits:
  per-ip: { key: ip, limits: [60/1m, 1000/1h] }
breakers:
${BREAKER}
routes:
  - match: { path: /mem/ips }
    rate_limit: per-ip
    breaker: held-open
`;

const cachePolicy = (maxMiB) => `caches:
  fill: { ttl: 10m, max_bytes: ${maxMiB}mb }
routes:
  - match: { path: /api/v1/echo, methods: [GET] }
    rate_limit: off
    cache: fill
`;

const ipOf = (i) => `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;

/** Send requests from..to-1, request i from client IP ipOf(i), over `sockets` connections with `depth` in flight each. */
function sprayIps(port, from, to, { sockets = 16, depth = 32 } = {}) {
  const statuses = {};
  let next = from;
  let done = 0;
  const total = to - from;
  const req = (i) => `GET /mem/ips HTTP/1.1\r\nHost: bench\r\nX-Forwarded-For: ${ipOf(i)}\r\n\r\n`;
  return new Promise((resolve, reject) => {
    for (let c = 0; c < sockets; c++) {
      const sock = net.connect(port, '127.0.0.1');
      let buf = '';
      let inFlight = 0;
      // up to k more requests in one write
      const send = (k) => {
        let s = '';
        for (; k > 0 && next < to; k--, inFlight++) s += req(next++);
        if (s) sock.write(s);
        else if (inFlight === 0) sock.end();
      };
      sock.on('connect', () => send(depth));
      sock.on('data', (d) => {
        buf += d.toString('latin1');
        let got = 0;
        for (;;) {
          const at = buf.indexOf('HTTP/1.1 ');
          if (at === -1 || buf.length < at + 12) break;
          const code = buf.slice(at + 9, at + 12);
          statuses[code] = (statuses[code] ?? 0) + 1;
          buf = buf.slice(at + 12);
          got++;
        }
        if (!got) return;
        done += got;
        inFlight -= got;
        send(got);
        if (done === total) resolve(statuses);
      });
      sock.on('error', reject);
      sock.on('close', () => {
        if (inFlight > 0) reject(new Error(`the proxy closed a connection with ${inFlight} requests unanswered`));
      });
    }
  });
}

async function systemDoc(p) {
  return JSON.parse((await http(`${p.url}/api/v1/status/system`)).text);
}

/** Poll the RSS of `pid` until the returned function is called; it returns the peak. */
function rssPeak(pid) {
  let peak = rssMiB(pid);
  const t = setInterval(() => { peak = Math.max(peak, rssMiB(pid)); }, 200);
  return () => { clearInterval(t); return Math.max(peak, rssMiB(pid)); };
}

/** A proxy started with the inspector on a loopback port, so the bench can ask it for a full GC. */
async function startInspectable(opts) {
  const port = await freePort();
  const p = await startSonoGuard({ ...opts, nodeArgs: [...(opts.nodeArgs ?? []), `--inspect=127.0.0.1:${port}`] });
  return { ...p, inspectPort: port };
}

/**
 * RSS as it is (what an orchestrator's memory limit sees), then RSS and V8
 * heap after a full GC: what the proxy really holds, apart from garbage V8
 * had no reason to collect yet.
 */
async function settle(p) {
  await sleep(500);
  const rss = rssMiB(p.pid);
  const insp = await inspect(p.inspectPort);
  try {
    await insp.gc();
    await sleep(300);
    const mu = await insp.memoryUsage();
    return { rss, rssAfterGc: rssMiB(p.pid), heapUsedAfterGc: mu.heapUsed / 1048576, externalAfterGc: mu.external / 1048576 };
  } finally {
    insp.close();
  }
}

export async function ipsRun({ total, core, appPort, dir, nodeArgs = [] }) {
  const p = await startInspectable({ name: 'memory-ips', body: IPS_POLICY, appPort, dir, core, server: ', trusted_proxies: [127.0.0.1/32]', nodeArgs });
  await holdBreakerOpen(p, 'held-open');
  await sleep(500);
  const rssBefore = rssMiB(p.pid);
  const port = Number(new URL(p.url).port);
  const peak = rssPeak(p.pid);
  const t0 = Date.now();
  const statuses = {};
  const step = Math.max(50_000, Math.ceil(total / 10));
  for (let sent = 0; sent < total; sent += step) {
    const upTo = Math.min(sent + step, total);
    const part = await sprayIps(port, sent, upTo);
    for (const [k, v] of Object.entries(part)) statuses[k] = (statuses[k] ?? 0) + v;
    progress(`memory: ${upTo.toLocaleString('en')} client IPs, RSS ${Math.round(rssMiB(p.pid))} MiB`);
  }
  const secs = (Date.now() - t0) / 1000;
  const rssPeakV = peak();
  const doc = await systemDoc(p);
  const rl = doc.rate_limits['per-ip'];
  const after = await settle(p);
  return {
    ips: total, rps: total / secs, rssBefore, rssPeak: rssPeakV, rssAfter: after.rss, rssAfterGc: after.rssAfterGc,
    heapUsedAfterGc: after.heapUsedAfterGc, keys: rl.keys, maxKeys: rl.max_keys, evictions: rl.evictions, statuses,
  };
}

/** GET each path on `pool` with `concurrency` in flight; returns the X-Cache values seen. */
async function getAll(pool, paths, concurrency = 16) {
  const seen = {};
  let i = 0;
  const worker = async () => {
    while (i < paths.length) {
      const r = await pool.request({ path: paths[i++], method: 'GET' });
      await r.body.dump({ limit: Infinity });
      const x = String(r.headers['x-cache'] ?? r.statusCode);
      seen[x] = (seen[x] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return seen;
}

export async function cacheRun({ maxMiB, entryBytes = 16384, fills = 3, core, appPort, dir, env = {} }) {
  const p = await startInspectable({ name: 'memory-cache', body: cachePolicy(maxMiB), appPort, dir, core, env });
  const pool = new Pool(p.url, { connections: 16 });
  const url = (k) => `/api/v1/echo?bytes=${entryBytes}&cache_control=max-age%3D600&k=${k}`;
  const perFill = Math.ceil((maxMiB * 1048576) / entryBytes);
  await sleep(300);
  const rssBefore = rssMiB(p.pid);
  const rss = [];
  const xcache = {};
  for (let fill = 0; fill < fills; fill++) {
    const paths = Array.from({ length: perFill }, (_, j) => url(fill * perFill + j));
    const seen = await getAll(pool, paths);
    for (const [k, v] of Object.entries(seen)) xcache[k] = (xcache[k] ?? 0) + v;
    await sleep(300);
    rss.push(rssMiB(p.pid));
    progress(`memory: cache filled ${fill + 1}× ${maxMiB} MiB, RSS ${Math.round(rss[fill])} MiB`);
  }
  const doc = await systemDoc(p);
  const c = doc.caches.fill;
  // The first URLs went in first: an LRU bound has evicted them.
  const refetched = 100;
  const again = await getAll(pool, Array.from({ length: refetched }, (_, k) => url(k)));
  await pool.close();
  const after = await settle(p);
  return {
    maxBytes: maxMiB * 1048576, maxBytesMiB: maxMiB, entryBytes, fills, requests: fills * perFill, xcache,
    rssBefore, rss, rssGrowthLast: rss[rss.length - 1] - rss[0], bytesHeld: c.bytes, entries: c.entries,
    refetched, hitsOnRefetch: again.HIT ?? 0, rssAfterGc: after.rssAfterGc, heapUsedAfterGc: after.heapUsedAfterGc, externalAfterGc: after.externalAfterGc,
  };
}

/** Both runs; `quick` sends 100,000 IPs and fills a 16 MiB cache instead of 1,000,000 and 64 MiB. */
export async function memoryBench({ quick, core, appPort, dir }) {
  const ips = await ipsRun({ total: quick ? 100_000 : 1_000_000, core, appPort, dir });
  const cache = await cacheRun({ maxMiB: quick ? 16 : 64, core, appPort, dir });
  return { ips, cache };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  requireBuild();
  const cores = planCores();
  const dir = mkdtempSync(path.join(tmpdir(), 'sono-guard-bench-'));
  onStop(() => rmSync(dir, { recursive: true, force: true }));
  const app = await startApp(cores.load);
  const { memoryTable } = await import('./report.js');
  const mem = await memoryBench({ quick: process.argv.includes('--quick'), core: cores.proxy, appPort: app.port, dir });
  console.log(memoryTable(mem));
  stopAll();
}
