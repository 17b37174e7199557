// The fixed-rate run: the same request at a steady 2,000 req/s, directly and
// through the proxies, interleaved; the latency each adds over the direct run.
//
// Paced here rather than with autocannon's `overallRate`: autocannon treats
// the rate as a per-second quota (each connection sends as fast as it can
// until its share of the second is used, then waits for the next second), so
// "2,000 req/s" is a closed-loop burst at full concurrency for part of every
// second, and its latencies are queueing at 50 in flight. Here request i is
// sent at t0 + i/rate (a timer wakes about every millisecond and sends what is
// due) on a keep-alive pool; latency runs from the send to the end of the
// body, including any wait for a free connection. autocannon's figure is kept
// in the JSON for comparison (full run only).
//
// Each measured run follows a discarded warm-up at the same rate on the same
// pool: the rows take turns, so each process under test has idled for tens of
// seconds before its turn (V8 shrinks an idle heap with a full GC, keep-alive
// connections to the app time out), and without it the first few hundred
// milliseconds of every run — not the steady state a sidecar lives in —
// decided the p99 (100+ ms tails, seen in every row, the app included).
import { Pool } from 'undici';
import { cpuSeconds, machineBusySeconds, measure, median, progress, treeCpuSeconds } from './lib.js';

export const RATE = 2000;

function pct(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] : NaN;
}

/** Send `total` GETs at `rate` req/s on `pool`; latencies (ms) into `lat` and status counts into `statuses` when given. */
async function send(pool, u, rate, total, lat, statuses) {
  const stepNs = 1e9 / rate;
  let sent = 0;
  let done = 0;
  let errors = 0;
  let late = 0;
  const t0 = process.hrtime.bigint();
  await new Promise((resolve) => {
    const finish = () => { if (++done === total) resolve(); };
    const fire = (i) => {
      const start = process.hrtime.bigint();
      pool.request({ path: u.pathname + u.search, method: 'GET' }).then(async (r) => {
        await r.body.dump({ limit: Infinity });
        if (lat) lat[i] = Number(process.hrtime.bigint() - start) / 1e6;
        if (statuses) statuses[r.statusCode] = (statuses[r.statusCode] ?? 0) + 1;
      }, () => { errors++; if (lat) lat[i] = NaN; }).finally(finish);
    };
    const tick = () => {
      const elapsed = Number(process.hrtime.bigint() - t0);
      const due = Math.min(total, Math.floor(elapsed / stepNs) + 1);
      if (due - sent > rate / 100) late++; // more than 10 ms behind schedule
      while (sent < due) fire(sent++);
      if (sent < total) setTimeout(tick, 0);
    };
    tick();
  });
  return { errors, late };
}

/** `rate` req/s for `duration` s (after `warmup` s not measured) to `url`; latency percentiles in ms and the CPU per request of `pid`. */
export async function paced(url, { rate, duration, pid, connections = 50, warmup = 0 }) {
  const u = new URL(url);
  const pool = new Pool(u.origin, { connections, pipelining: 1 });
  if (warmup > 0) await send(pool, u, rate, Math.round(rate * warmup), null, null);
  const total = Math.round(rate * duration);
  const lat = new Float64Array(total);
  const statuses = {};
  const cpu0 = pid ? cpuSeconds(pid) : 0;
  const machine0 = machineBusySeconds();
  const tree0 = treeCpuSeconds();
  const t0 = process.hrtime.bigint();
  const { errors, late } = await send(pool, u, rate, total, lat, statuses);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = pid ? cpuSeconds(pid) - cpu0 : NaN;
  const otherLoad = Math.max(0, (machineBusySeconds() - machine0 - (treeCpuSeconds() - tree0)) / wall);
  await pool.close();
  const sorted = lat.filter((x) => Number.isFinite(x)).sort();
  return { rps: total / wall, p50: pct(sorted, 50), p90: pct(sorted, 90), p99: pct(sorted, 99), cpuUsPerReq: (cpu * 1e6) / total, statuses, errors, lateTicks: late, otherLoad };
}

/**
 * `targets`: [{ id, name, url, pid }] with `direct` first. Returns medians per
 * target and the added latency (target − direct, paired per round, median).
 */
export async function fixedRate(targets, { rounds, duration, warmup = 1, withAutocannon = false }) {
  const runs = Object.fromEntries(targets.map((t) => [t.id, []]));
  for (let r = 0; r < rounds; r++) {
    for (const t of targets) {
      const m = await paced(t.url, { rate: RATE, duration, pid: t.pid, warmup });
      if (withAutocannon) {
        const a = await measure({ url: t.url, pid: t.pid, duration, overallRate: RATE });
        m.autocannon = { p50: a.p50, p99: a.p99, rps: a.rps };
      }
      runs[t.id].push(m);
      progress(`fixed ${RATE}/s round ${r + 1}/${rounds} ${t.name}: p50 ${m.p50.toFixed(2)} ms, p99 ${m.p99.toFixed(2)} ms, ${Math.round(m.rps)} req/s, ${m.cpuUsPerReq.toFixed(1)} µs CPU/req`);
    }
  }
  const direct = runs.direct;
  const added = (id, k) => median(runs[id].map((m, i) => m[k] - direct[i][k]));
  const med = (id, f) => median(runs[id].map(f));
  const rows = targets.map((t) => ({
    id: t.id,
    name: t.name,
    rps: med(t.id, (m) => m.rps),
    p50: med(t.id, (m) => m.p50),
    p90: med(t.id, (m) => m.p90),
    p99: med(t.id, (m) => m.p99),
    cpu: med(t.id, (m) => m.cpuUsPerReq),
    otherLoad: med(t.id, (m) => m.otherLoad),
    autocannonP50: withAutocannon ? med(t.id, (m) => m.autocannon.p50) : NaN,
    autocannonP99: withAutocannon ? med(t.id, (m) => m.autocannon.p99) : NaN,
    addedP50: t.id === 'direct' ? 0 : added(t.id, 'p50'),
    addedP99: t.id === 'direct' ? 0 : added(t.id, 'p99'),
    issues: runs[t.id].some((m) => m.errors || Object.keys(m.statuses).some((s) => s !== '200')) ? ['non-200 answers or errors'] : [],
  }));
  const sg = rows.find((r) => r.id === 'default');
  return { rate: RATE, rounds, duration, warmup, rows, addedP50: sg?.addedP50 ?? NaN, addedP99: sg?.addedP99 ?? NaN, raw: runs };
}
