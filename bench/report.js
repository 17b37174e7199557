// Turns the per-round measurements into the medians, ratios, sanity flags and
// Markdown tables the bench prints and stores.
import { median } from './lib.js';
import { ROWS, SANITY, TARGETS } from './scenarios.js';

const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '—');
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '—');
const ms = (x) => (Number.isFinite(x) ? x.toFixed(2) : '—');
const times = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '—');

/**
 * Ratio of row a to row b for one field, as the median of per-round ratios:
 * both were measured seconds apart in the same round, so a machine that gets
 * busier or quieter during the run moves both.
 */
export function pairedRatio(runs, a, b, field = 'cpuUsPerReq') {
  const ra = runs[a];
  const rb = runs[b];
  if (!ra || !rb) return NaN;
  const n = Math.min(ra.length, rb.length);
  const xs = [];
  for (let i = 0; i < n; i++) xs.push(ra[i][field] / rb[i][field]);
  return median(xs);
}

/** What is wrong with a row's answers, if anything (empty: it measured what it claims). */
function sanity(row, ms_) {
  const issues = [];
  let total = 0;
  let good = 0;
  let upstream = 0;
  let errors = 0;
  for (const m of ms_) {
    total += m.total;
    good += m.statuses[String(row.expect)] ?? 0;
    upstream += m.upstream ?? 0;
    errors += m.errors + m.timeouts;
  }
  const share = total ? good / total : 0;
  if (share < SANITY.statusShare) {
    const mix = {};
    for (const m of ms_) for (const [k, v] of Object.entries(m.statuses)) mix[k] = (mix[k] ?? 0) + v;
    issues.push(`only ${(share * 100).toFixed(1)}% ${row.expect} (statuses ${JSON.stringify(mix)})`);
  }
  if (errors) issues.push(`${errors} connection errors/timeouts`);
  const other = median(ms_.map((m) => m.otherLoad));
  if (other > SANITY.otherLoad) issues.push(`noisy: other processes kept ${other.toFixed(2)} CPUs busy`);
  const upShare = total ? upstream / total : 0;
  if (row.upstream === 'none' && upShare > SANITY.upstreamShareNone) issues.push(`${(upShare * 100).toFixed(1)}% of requests reached the app`);
  if (row.upstream === 'all' && upShare < SANITY.upstreamShareAll) issues.push(`only ${(upShare * 100).toFixed(1)}% of requests reached the app`);
  return { issues, statusShare: share, upstreamShare: upShare };
}

/** Medians, ratios and checks for every measured row; `probes`: row id → what its probe found wrong. */
export function summarize(runs, probes = {}) {
  const rows = [];
  for (const row of ROWS) {
    const m = runs[row.id];
    if (!m) continue;
    const med = (k) => median(m.map((x) => x[k]));
    const s = sanity(row, m);
    if (probes[row.id]) s.issues.push(probes[row.id]);
    rows.push({
      id: row.id,
      name: row.name,
      kind: row.kind,
      rps: med('rps'),
      p50: med('p50'),
      p90: med('p90'),
      p99: med('p99'),
      cpu: med('cpuUsPerReq'),
      rss: med('rss'),
      vs: row.vs,
      cpuVs: row.vs ? pairedRatio(runs, row.id, row.vs) : NaN,
      cpuVsBare: row.id !== 'bare' && row.id !== 'direct' && row.kind === 'forwarded' ? pairedRatio(runs, row.id, 'bare') : NaN,
      rpsVsBare: row.kind === 'forwarded' && row.id !== 'bare' ? pairedRatio(runs, row.id, 'bare', 'rps') : NaN,
      nginx: row.nginx ?? null,
      cpuVsNginx: row.nginx ? pairedRatio(runs, row.id, row.nginx) : NaN,
      otherLoad: median(m.map((x) => x.otherLoad)),
      redisCpu: median(m.map((x) => x.alsoCpuUsPerReq)),
      statusShare: s.statusShare,
      upstreamShare: s.upstreamShare,
      issues: s.issues,
    });
  }
  return rows;
}

export function throughputTable(rows) {
  const label = (id) => ROWS.find((r) => r.id === id)?.name.replace(/^sono-guard /, '') ?? id;
  const out = [
    '| path | req/s | p50 ms | p90 ms | p99 ms | CPU µs/req | CPU ratio | req/s vs bare | CPU vs NGINX | RSS MiB | check |',
    '|---|--:|--:|--:|--:|--:|---|--:|--:|--:|---|',
  ];
  for (const r of rows) {
    const ratio = r.vs ? `${times(r.cpuVs)} ${label(r.vs)}` : '—';
    out.push(
      `| ${r.name} | ${Math.round(r.rps)} | ${ms(r.p50)} | ${ms(r.p90)} | ${ms(r.p99)} | ${f1(r.cpu)} | ${ratio} | ${times(r.rpsVsBare)} | ${times(r.cpuVsNginx)} | ${Math.round(r.rss)} | ${r.issues.length ? '⚠ ' + r.issues.join('; ') : 'ok'} |`,
    );
  }
  return out.join('\n');
}

/** The issue's targets against this run; `extra` carries the latency and memory figures. */
/** Notes under the throughput table: Redis server CPU, noise. */
export function throughputNotes(rows) {
  const out = [];
  const redis = rows.filter((r) => Number.isFinite(r.redisCpu));
  if (redis.length) {
    out.push(`redis-server (shared, not pinned, not in the proxy's CPU): ${redis.map((r) => `${f1(r.redisCpu)} µs/req on "${r.name}"`).join(', ')}.`);
  }
  const noisy = rows.filter((r) => r.issues.some((i) => i.startsWith('noisy')));
  if (noisy.length) out.push(`${noisy.length} of ${rows.length} rows ran while other processes kept more than ${SANITY.otherLoad} CPUs busy: trust ratios over absolute numbers.`);
  return out.join(' ');
}

export function targetsTable(runs, rows, extra) {
  const out = ['| target | limit | this run | |', '|---|--:|--:|---|'];
  const verdict = (v, max) => (!Number.isFinite(v) ? 'not measured' : v <= max ? 'met' : 'MISSED');
  for (const t of TARGETS) {
    const v = pairedRatio(runs, t.a, t.b);
    out.push(`| ${t.what} | ≤ ${t.max}× | ${times(v)} | ${verdict(v, t.max)} |`);
  }
  const pt = rows.find((r) => r.id === 'passthrough');
  if (pt) out.push(`| pass-through req/s vs bare forwarder | ≥ 0.75× | ${times(pt.rpsVsBare)} | ${Number.isFinite(pt.rpsVsBare) ? (pt.rpsVsBare >= 0.75 ? 'met' : 'MISSED') : 'not measured'} |`);
  if (extra.fixed) {
    out.push(`| added latency at ${extra.fixed.rate} req/s, p50 | ≤ 1 ms | ${ms(extra.fixed.addedP50)} ms | ${verdict(extra.fixed.addedP50, 1)} |`);
    out.push(`| added latency at ${extra.fixed.rate} req/s, p99 | ≤ 3 ms | ${ms(extra.fixed.addedP99)} ms | ${verdict(extra.fixed.addedP99, 3)} |`);
  }
  const sg = rows.filter((r) => r.id !== 'direct' && r.id !== 'bare' && !r.id.startsWith('nginx'));
  const maxRss = Math.max(...sg.map((r) => r.rss));
  out.push(`| sono-guard RSS under load (largest row) | ≤ 150 MiB | ${Math.round(maxRss)} MiB | ${verdict(maxRss, 150)} |`);
  if (extra.memory?.ips) {
    const m = extra.memory.ips;
    out.push(`| RSS after ${m.ips.toLocaleString('en')} client IPs | ≤ 250 MiB | ${Math.round(m.rssAfter)} MiB | ${verdict(m.rssAfter, 250)}${m.ips < 1e6 ? ' (reduced run)' : ''} |`);
  }
  if (extra.memory?.cache) {
    const c = extra.memory.cache;
    // What the proxy holds after a full GC: entries are Buffers (external memory), so an
    // unbounded cache would show fills × max_bytes there. 8 MiB for the process's other buffers.
    // RSS is shown too; it is dominated by allocator fragmentation (README, "Cache memory").
    const ok = c.bytesHeld <= c.maxBytes && c.externalAfterGc <= c.maxBytesMiB + 8;
    out.push(`| cache filled ${c.fills}× max_bytes: bytes held ≤ max_bytes, external memory after a full GC ≤ max_bytes + 8 MiB | bounded | ${(c.bytesHeld / 1048576).toFixed(1)} of ${c.maxBytesMiB} MiB held, ${Math.round(c.externalAfterGc)} MiB external; RSS ${c.rss.map((x) => Math.round(x)).join(' → ')} after each fill, ${Math.round(c.rssAfterGc)} after a full GC (${Math.round(c.rssBefore)} idle) | ${ok ? 'met' : 'MISSED'} |`);
  }
  return out.join('\n');
}

export function fixedTable(fixed) {
  const ac = fixed.rows.some((r) => Number.isFinite(r.autocannonP99));
  const out = [
    `| paced ${fixed.rate} req/s | p50 ms | p90 ms | p99 ms | added p50 ms | added p99 ms | CPU µs/req |${ac ? ' autocannon overallRate p50 / p99 ms |' : ''}`,
    `|---|--:|--:|--:|--:|--:|--:|${ac ? '--:|' : ''}`,
  ];
  for (const r of fixed.rows) {
    const add = r.id === 'direct' ? ['—', '—'] : [ms(r.addedP50), ms(r.addedP99)];
    const flag = r.issues.length ? ` ⚠ ${r.issues.join('; ')}` : '';
    out.push(`| ${r.name}${flag} | ${ms(r.p50)} | ${ms(r.p90)} | ${ms(r.p99)} | ${add[0]} | ${add[1]} | ${f1(r.cpu)} |${ac ? ` ${ms(r.autocannonP50)} / ${ms(r.autocannonP99)} |` : ''}`);
  }
  return out.join('\n');
}

export function memoryTable(mem) {
  const out = ['| memory run | RSS MiB | after a full GC | detail |', '|---|---|---|---|'];
  if (mem.ips) {
    const m = mem.ips;
    out.push(`| ${m.ips.toLocaleString('en')} distinct client IPs through the per-IP limit, ${Math.round(m.rps)} req/s | ${Math.round(m.rssBefore)} before → ${Math.round(m.rssPeak)} peak → ${Math.round(m.rssAfter)} after | RSS ${Math.round(m.rssAfterGc)}, V8 heap used ${Math.round(m.heapUsedAfterGc)} | ${m.keys.toLocaleString('en')} keys held (max_keys ${m.maxKeys.toLocaleString('en')}), ${m.evictions.toLocaleString('en')} evicted; statuses ${JSON.stringify(m.statuses)} |`);
  }
  if (mem.cache) {
    const c = mem.cache;
    out.push(`| cache with max_bytes ${c.maxBytesMiB} MiB, ${c.requests.toLocaleString('en')} distinct ${c.entryBytes / 1024} KiB responses (${c.fills}× max_bytes) | ${Math.round(c.rssBefore)} before → ${c.rss.map((x) => Math.round(x)).join(' → ')} after each 1× | RSS ${Math.round(c.rssAfterGc)}, V8 heap used ${Math.round(c.heapUsedAfterGc)}, external ${Math.round(c.externalAfterGc)} | ${(c.bytesHeld / 1048576).toFixed(1)} MiB held in ${c.entries.toLocaleString('en')} entries; ${c.hitsOnRefetch} of ${c.refetched} first URLs still HIT (LRU evicted them); X-Cache ${JSON.stringify(c.xcache)} |`);
  }
  return out.join('\n');
}

export function microTable(micro) {
  const out = ['| helper | case | ns/op (median) |', '|---|---|--:|'];
  for (const r of micro.results) out.push(`| ${r.helper} | ${r.case} | ${f1(r.ns)} |`);
  return out.join('\n');
}

export { f2 };
