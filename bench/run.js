#!/usr/bin/env node
// `npm run bench` (add `-- --quick` for about a minute): the app directly, a
// bare undici forwarder, NGINX (when installed) and sono-guard on every path,
// interleaved (each round runs every row once, in a rotated order) and
// repeated; medians reported. CPU per request is read from /proc of the
// process under test. Then a fixed-rate run, the memory runs and the
// micro-benchmarks. See bench/README.md.
//
// Options: --quick, --rounds N, --duration SECONDS, --only ID,ID (rows),
// --no-nginx, --no-fixed, --no-memory, --no-micro, --cpu-prof (write
// sono-guard CPU profiles to bench/results/profiles/).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { measure, signalAll, onStop, planCores, progress, stopAll } from './lib.js';
import { appCount, cleanRedis, createAssessment, holdBreakerOpen, redisPid, redisUp, requireBuild, root, startApp, startBare, startSonoGuard, stopGracefully } from './procs.js';
import { findNginx, startNginx } from './nginx.js';
import { PROXIES, ROWS, SANITY } from './scenarios.js';
import { fixedRate } from './fixed-rate.js';
import { memoryBench } from './memory.js';
import { fixedTable, memoryTable, microTable, summarize, targetsTable, throughputNotes, throughputTable } from './report.js';

const argv = process.argv.slice(2);
const flag = (f) => argv.includes(f);
const opt = (f, d) => (argv.includes(f) ? argv[argv.indexOf(f) + 1] : d);
const quick = flag('--quick');
const S = {
  rounds: Number(opt('--rounds', quick ? 3 : 5)),
  duration: Number(opt('--duration', quick ? 0.8 : 5)),
  warmup: quick ? 1.5 : 2,
  connections: 50,
  fixedRounds: Number(opt('--fixed-rounds', quick ? 2 : 5)),
  fixedDuration: Number(opt('--fixed-duration', quick ? 1 : 5)),
  fixedWarmup: quick ? 0.5 : 1,
};
const only = opt('--only', null)?.split(',');

/**
 * Right after a row's warm-up, up to five requests like autocannon's (no
 * extra headers, so the cache key is the same): does one of them carry what
 * the row claims (X-Cache HIT, the problem code)? Null when it does.
 */
async function probe(row) {
  let last = '';
  for (let i = 0; i < 5; i++) {
    const r = await request(row.url);
    const text = await r.body.text();
    if (row.probe.header) {
      const v = r.headers[row.probe.header];
      if (v === row.probe.value) return null;
      last = `probe: ${row.probe.header} is ${v ?? 'absent'}, not ${row.probe.value}`;
    } else {
      let code;
      try { code = JSON.parse(text).code; } catch { code = undefined; }
      if (code === row.probe.code) return null;
      last = `probe: answered ${r.statusCode} ${code ?? '(no problem code)'}, not ${row.probe.code}`;
    }
  }
  return last;
}

async function main() {
  requireBuild();
  const started = Date.now();
  const cores = planCores();
  progress(cores.pinned
    ? 'cores: this process (autocannon) and the app on CPU 0; every process under test on CPU 1'
    : `cores: not pinned (${cores.why}); CPU per request is still per process`);
  const dir = mkdtempSync(path.join(tmpdir(), 'sono-guard-bench-'));
  onStop(() => rmSync(dir, { recursive: true, force: true }));
  const app = await startApp(cores.load);
  const procs = { app: { pid: app.pid, url: app.url } };
  procs.bare = await startBare(app.url, cores.proxy);

  const nginx = flag('--no-nginx') ? null : findNginx();
  if (nginx) {
    const n = await startNginx({ bin: nginx.bin, appPort: app.port, dir, core: cores.proxy });
    procs.nginx = { pid: n.pid, masterPid: n.masterPid, ports: n.ports, stop: n.stop };
    progress(`NGINX ${nginx.version}: one worker (pid ${n.pid}), config bench/nginx/nginx.conf`);
  } else {
    progress(flag('--no-nginx') ? 'NGINX rows skipped (--no-nginx)' : 'NGINX is not installed (apt-get install -y nginx): its rows are skipped');
  }
  const redis = await redisUp();
  if (!redis) progress('Redis is not answering on 127.0.0.1:6379: the Redis rows are skipped');
  const rpid = redis ? redisPid() : null;
  const profDir = path.join(root, 'bench/results/profiles');
  if (flag('--cpu-prof')) mkdirSync(profDir, { recursive: true });
  for (const [name, def] of Object.entries(PROXIES)) {
    if (def.store === 'redis' && !redis) continue;
    const nodeArgs = flag('--cpu-prof') ? ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-name', `${name}.cpuprofile`] : [];
    procs[name] = await startSonoGuard({ name, body: def.policy, store: def.store, appPort: app.port, dir, core: cores.proxy, nodeArgs });
  }
  await holdBreakerOpen(procs.open, 'assessment-api');

  const rows = [];
  for (const r of ROWS) {
    if (!procs[r.proc] || (only && !only.includes(r.id))) continue;
    const target = await createAssessment(app.url, `bench-${r.id}`);
    const base = r.proc === 'nginx' ? `http://127.0.0.1:${procs.nginx.ports[r.port]}` : procs[r.proc].url;
    const alsoPid = PROXIES[r.proc]?.store === 'redis' ? rpid : null;
    rows.push({ ...r, target, url: base + target, pid: procs[r.proc].pid, alsoPid });
  }
  // Every process under test but the app, NGINX's master included.
  const underTest = Object.entries(procs).filter(([k]) => k !== 'app').flatMap(([, p]) => [p.pid, ...(p.masterPid ? [p.masterPid] : [])]);
  onStop(() => signalAll(underTest, 'resume'));
  const run = async (row, duration) => {
    const before = await appCount(app.url, row.target);
    const m = await measure({ url: row.url, pid: row.pid, duration, connections: S.connections, alsoPid: row.alsoPid });
    m.upstream = (await appCount(app.url, row.target)) - before;
    return m;
  };

  progress(`warm-up: ${S.warmup} s per row`);
  const probes = {};
  for (const row of rows) {
    await run(row, S.warmup);
    if (row.probe) probes[row.id] = await probe(row);
  }
  const runs = Object.fromEntries(rows.map((r) => [r.id, []]));
  for (let round = 0; round < S.rounds; round++) {
    for (let k = 0; k < rows.length; k++) {
      const row = rows[(k + round) % rows.length];
      const m = await run(row, S.duration);
      runs[row.id].push(m);
      progress(`round ${round + 1}/${S.rounds} ${row.name}: ${Math.round(m.rps)} req/s, ${m.cpuUsPerReq.toFixed(1)} µs CPU/req, p99 ${m.p99.toFixed(2)} ms, ${JSON.stringify(m.statuses)}`);
    }
  }
  const summary = summarize(runs, probes);

  let fixed = null;
  if (!flag('--no-fixed') && rows.some((r) => r.id === 'direct') && rows.some((r) => r.id === 'default')) {
    const ids = quick ? ['direct', 'default'] : ['direct', 'bare', 'nginx', 'default'];
    const targets = rows.filter((r) => ids.includes(r.id)).sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id));
    // The proxies this run does not measure are paused (SIGSTOP) meanwhile, so
    // their timers and V8's idle-time collections of heaps grown in the
    // throughput rounds stay off the proxy core (with seven of them idle
    // beside it, the paced p99 of every row doubled). The rows it measures are
    // never paused: a paused proxy finds its keep-alive connections to the
    // app closed when it resumes.
    const measured = new Set(targets.map((t) => t.pid));
    const idle = underTest.filter((pid) => !measured.has(pid));
    signalAll(idle, 'pause');
    try {
      fixed = await fixedRate(targets, { rounds: S.fixedRounds, duration: S.fixedDuration, warmup: S.fixedWarmup, withAutocannon: !quick });
    } finally {
      signalAll(idle, 'resume');
    }
  }
  const memory = flag('--no-memory') ? null : await memoryBench({ quick, core: cores.proxy, appPort: app.port, dir });
  let micro = null;
  if (!flag('--no-micro')) {
    progress('micro-benchmarks');
    const cmd = [process.execPath, path.join(root, 'bench/micro.js'), '--json', ...(quick ? ['--quick'] : [])];
    const r = cores.pinned ? spawnSync('taskset', ['-c', String(cores.proxy), ...cmd], { encoding: 'utf8' }) : spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8' });
    if (r.status === 0) micro = JSON.parse(r.stdout);
    else progress(`micro-benchmarks failed: ${r.stderr}`);
  }
  if (flag('--cpu-prof')) await stopGracefully();
  await procs.nginx?.stop();
  if (redis) progress(`removed ${await cleanRedis()} Redis keys under the bench prefix`);

  const date = new Date().toISOString();
  const head = `sono-guard bench ${date}: node ${process.version}, ${cpus().length}× ${cpus()[0]?.model ?? 'CPU'}, `
    + `${cores.pinned ? 'processes under test pinned to CPU 1, load generator and app on CPU 0' : 'no core pinning'}, `
    + `${S.rounds} interleaved rounds × ${S.duration} s, ${S.connections} connections, GET /api/v1/assessments/ID; `
    + `NGINX ${nginx ? nginx.version : flag('--no-nginx') ? 'skipped' : 'not installed'}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`;
  const others = Object.values(runs).flat().map((m) => m.otherLoad).sort((a, b) => a - b);
  const otherLine = others.length
    ? `Other processes on the machine kept ${others[others.length >> 1].toFixed(2)} CPUs busy on median during the measurements (max ${others[others.length - 1].toFixed(2)}, of ${cpus().length}); rows above ${SANITY.otherLoad} are marked noisy.`
    : '';
  const extra = { fixed, memory };
  const out = [`\n${head}\n`, '### Throughput (medians)\n', throughputTable(summary),
    '\nCPU ratio: median over rounds of this row\'s CPU per request over the named row\'s, measured in the same round. '
    + 'The app row\'s CPU is the app\'s own; every other row\'s is the proxy\'s (NGINX: its one worker). ' + otherLine + ' ' + throughputNotes(summary) + '\n',
    '### Targets (issue 8)\n', targetsTable(runs, summary, extra)];
  if (fixed) out.push(`\n### Fixed rate (${fixed.rate} req/s, ${fixed.rounds} interleaved rounds × ${fixed.duration} s after ${fixed.warmup} s of warm-up each; added = row − direct, paired per round)\n`, fixedTable(fixed));
  if (memory) out.push('\n### Memory\n', memoryTable(memory));
  if (micro) out.push(`\n### Micro-benchmarks (${micro.runs} runs, median)\n`, microTable(micro));
  const flagged = summary.filter((r) => r.issues.some((i) => !i.startsWith('noisy')));
  if (flagged.length) out.push(`\n⚠ rows that did not measure what they claim: ${flagged.map((r) => `${r.name} (${r.issues.filter((i) => !i.startsWith('noisy')).join('; ')})`).join(', ')}`);
  console.log(out.join('\n'));

  mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  const file = path.join(root, 'bench/results', `run-${date.replace(/[:.]/g, '-')}${quick ? '-quick' : ''}.json`);
  writeFileSync(file, JSON.stringify({
    date, head, node: process.version, nginx, cores, settings: S, quick, loadavg: loadavg(), seconds: (Date.now() - started) / 1000,
    rows: summary, fixed, memory, micro, raw: runs,
  }, null, 2));
  console.log(`\nwritten ${path.relative(root, file)} (${Math.round((Date.now() - started) / 1000)} s)`);
}

main().then(() => stopAll(), (err) => { console.error(err); stopAll(); process.exit(1); });
