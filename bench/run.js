#!/usr/bin/env node
// `npm run bench` (add `-- --quick` for about a minute): the app directly, a
// bare undici forwarder, and sono-guard on several paths, interleaved
// (A B C A B C ...) and repeated; medians reported. Proxy CPU per request is
// read from the proxy process's own counters in /proc.
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { freePort, waitForPort, startChild, stopAll, measure, median } from './lib.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const rounds = quick ? 3 : 5;
const duration = quick ? 3 : 8;
const node = process.execPath;
const tmp = mkdtempSync(path.join(tmpdir(), 'sono-guard-bench-'));

function policyFile(name, port, appPort, body) {
  const file = path.join(tmp, `${name}.yaml`);
  writeFileSync(file, `version: 1
server: { listen: 127.0.0.1:${port}, admin: 127.0.0.1:0 }
upstream: { url: http://127.0.0.1:${appPort} }
logging: { level: info }
${body}`);
  return file;
}

async function startProxy(name, appPort, body) {
  const port = await freePort();
  const file = policyFile(name, port, appPort, body);
  const c = startChild(node, [path.join(root, 'bin/sono-guard.js'), '--config', file]);
  await waitForPort(port);
  return { name, url: `http://127.0.0.1:${port}`, pid: c.pid };
}

async function main() {
  const appPort = await freePort();
  const app = startChild(node, [path.join(root, 'dist/app/main.js')], { PORT: String(appPort), HOST: '127.0.0.1' });
  await waitForPort(appPort);
  const appUrl = `http://127.0.0.1:${appPort}`;
  const created = await request(`${appUrl}/api/v1/assessments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ candidate_id: 'bench', answers: [{ question_id: 'q1', answer: 'a' }] }),
  });
  const { id } = await created.body.json();
  const target = `/api/v1/assessments/${id}`;

  const barePort = await freePort();
  const bare = startChild(node, [path.join(root, 'bench/bare-forwarder.js')], { PORT: String(barePort), UPSTREAM: appUrl });
  await waitForPort(barePort);

  const passthrough = await startProxy('passthrough', appPort, `routes:\n  - match: { path: /** }\n    rate_limit: off\n`);
  const full = await startProxy('full', appPort, `rate_limits:
  per-ip: { key: ip, limits: [100000000/1m, 1000000000/1h] }
breakers:
  assessment-api: { failure_rate: 50%, window: 20, min_calls: 10, consecutive_failures: 5, slow_call: 5s, open_for: 60s, half_open_calls: 3 }
routes:
  - match: { path: /api/v1/assessments/*, methods: [GET, HEAD] }
    rate_limit: per-ip
    breaker: assessment-api
  - match: { path: /** }
    rate_limit: per-ip
    breaker: assessment-api
`);

  const scenarios = [
    { name: 'direct (app)', url: appUrl + target, pid: app.pid },
    { name: 'bare undici forwarder', url: `http://127.0.0.1:${barePort}${target}`, pid: bare.pid },
    { name: 'sono-guard pass-through', url: passthrough.url + target, pid: passthrough.pid },
    { name: 'sono-guard all stages', url: full.url + target, pid: full.pid },
  ];

  // Warm-up: JIT and connection pools.
  for (const s of scenarios) await measure({ ...s, duration: 1 });
  const results = new Map(scenarios.map((s) => [s.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const s of scenarios) {
      const m = await measure({ ...s, duration });
      results.get(s.name).push(m);
      process.stderr.write(`round ${r + 1}/${rounds} ${s.name}: ${Math.round(m.rps)} req/s, ${m.cpuUsPerReq.toFixed(1)} µs CPU/req` + (m.unexpected ? `, ${m.unexpected} unexpected answers` : '') + '\n');
    }
  }

  const rows = scenarios.map((s) => {
    const ms = results.get(s.name);
    return {
      name: s.name,
      rps: median(ms.map((m) => m.rps)),
      p50: median(ms.map((m) => m.p50)),
      p90: median(ms.map((m) => m.p90)),
      p99: median(ms.map((m) => m.p99)),
      cpu: median(ms.map((m) => m.cpuUsPerReq)),
      rss: median(ms.map((m) => m.rss)),
      unexpected: ms.reduce((a, m) => a + m.unexpected, 0),
    };
  });
  const bareRow = rows[1];
  const lines = [
    `| path | req/s | p50 ms | p90 ms | p99 ms | CPU µs/req (of the process named) | CPU vs bare | req/s vs bare | RSS MiB |`,
    `|---|---|---|---|---|---|---|---|---|`,
    ...rows.map((r) =>
      `| ${r.name} | ${Math.round(r.rps)} | ${r.p50} | ${r.p90} | ${r.p99} | ${r.cpu.toFixed(1)} | ${r === rows[0] ? '—' : (r.cpu / bareRow.cpu).toFixed(2) + '×'} | ${(r.rps / bareRow.rps).toFixed(2)}× | ${r.rss.toFixed(0)} |`,
    ),
  ];
  console.log(`\n${rounds} rounds × ${duration} s, 50 connections, GET ${target}; medians. Direct row: CPU of the app itself.\n`);
  console.log(lines.join('\n'));
  const bad = rows.filter((r) => r.unexpected > 0);
  if (bad.length) console.log(`\nwarning: unexpected statuses in ${bad.map((r) => r.name).join(', ')}`);
  mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  const out = path.join(root, 'bench/results', `run-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, quick, rounds, duration, rows, raw: Object.fromEntries(results) }, null, 2));
  console.log(`\nwritten ${path.relative(root, out)}`);
}

main().then(() => stopAll(), (err) => { console.error(err); stopAll(); process.exit(1); });
