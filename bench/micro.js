#!/usr/bin/env node
// Micro-benchmarks of the hot helpers, from the built `dist/`:
//   node bench/micro.js [--quick] [--json]
// Each case: a warm-up (JIT), then several timed runs of a calibrated number
// of iterations; the median ns per call is reported.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { requireBuild, root } from './procs.js';

requireBuild();
const quick = process.argv.includes('--quick');
const RUNS = quick ? 5 : 11;
const RUN_MS = quick ? 30 : 100;
const dist = (p) => import(pathToFileURL(path.join(root, 'dist/src', p)).href);

const { compilePattern } = await dist('routing/pattern.js');
const { normalizeTarget } = await dist('routing/normalize.js');
const { primaryKey } = await dist('cache/key.js');
const { problem } = await dist('pipeline/problem.js');
const { Exchange } = await dist('pipeline/exchange.js');
const { RateLimiter, MemoryRateLimitStore } = await dist('ratelimit/index.js');
const { loadPolicyFile } = await dist('config/load.js');

/** Keeps results alive so the JIT cannot drop the work. */
let sink = 0;
const use = (v) => { sink = (sink + (typeof v === 'string' ? v.length : v ? 1 : 0)) | 0; };

function timeOnce(fn, iters) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iters; i++) use(fn(i));
  return Number(process.hrtime.bigint() - t0) / iters;
}

function bench(fn) {
  // Calibrate: iterations that take about RUN_MS, warming up on the way.
  let iters = 1000;
  for (;;) {
    const ns = timeOnce(fn, iters);
    if (ns * iters > RUN_MS * 1e6 / 4) {
      iters = Math.max(1000, Math.round((RUN_MS * 1e6) / ns));
      break;
    }
    iters *= 4;
  }
  timeOnce(fn, iters);
  const xs = [];
  for (let r = 0; r < RUNS; r++) xs.push(timeOnce(fn, iters));
  xs.sort((a, b) => a - b);
  return xs[xs.length >> 1];
}

// Route match: the default policy's routes, compiled, first match wins (methods checked as the proxy does).
const loaded = loadPolicyFile(path.join(root, 'policies/default.yaml'), {});
if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
const routes = loaded.policy.routes.map((r) => ({ matches: compilePattern(r.match.path), methods: r.match.methods ? new Set(r.match.methods) : null }));
const match = (method, p) => {
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i];
    if ((r.methods === null || r.methods.has(method)) && r.matches(p)) return i;
  }
  return -1;
};

// Window check: a memory-store hit of one policy with the default per-ip windows.
const limiter = (limits, maxKeys = 100_000) =>
  new RateLimiter('per-ip', { key: { kind: 'ip' }, limits, mode: 'enforce', max_keys: maxKeys });
const store = new MemoryRateLimitStore();
const roomy = limiter([{ count: 1e9, window: 60_000, text: '1000000000/1m' }, { count: 1e9, window: 3_600_000, text: '1000000000/1h' }]);
const tight = limiter([{ count: 60, window: 60_000, text: '60/1m' }, { count: 1000, window: 3_600_000, text: '1000/1h' }]);
const spray = limiter([{ count: 60, window: 60_000, text: '60/1m' }, { count: 1000, window: 3_600_000, text: '1000/1h' }], 10_000);
const ips = Array.from({ length: 1 << 16 }, (_, i) => `10.1.${i >> 8}.${i & 255}`);
const now = Date.now();

const x = new Exchange({ method: 'GET', headers: {} }, {}, 0n);
x.id = '0b9d3c1e-6a0f-4b7e-9d55-2f1c8e7a4b21';
const acceptJson = { accept: 'application/json', host: 'localhost:8080' };

const CASES = [
  ['route match', 'GET /api/v1/assessments/ID (1st route, `*`)', () => match('GET', '/api/v1/assessments/8f14e45f')],
  ['route match', 'POST /api/v1/candidates (last route, `/**`)', () => match('POST', '/api/v1/candidates')],
  ['route match', 'GET /docs/guide/intro (prefix `/docs/**`)', () => match('GET', '/docs/guide/intro')],
  ['cache key', 'path, no query, vary [accept]', () => primaryKey('localhost:8080', '/api/v1/assessments/8f14e45f', '', acceptJson, ['accept'])],
  ['cache key', 'path, 3-param query to sort, no vary', () => primaryKey('localhost:8080', '/api/v1/echo', '?c=3&a=1&b=2', acceptJson, [])],
  ['window check', 'known key, allowed (2 windows)', () => store.hit([roomy], ['10.0.0.1'], now)[0].allowed],
  ['window check', 'known key, rejected', () => store.hit([tight], ['10.0.0.2'], now)[0].allowed],
  ['window check', 'new keys, table full (evicts)', (i) => store.hit([spray], [ips[i & 0xffff]], now + i)[0].allowed],
  ['problem()', 'rate_limited with Retry-After', () => problem(x, 'rate_limited', 'Rate limit per-ip exceeded (60/1m)', { 'retry-after': 1 }).status],
  ['normalize target', 'clean path with query', () => normalizeTarget('/api/v1/assessments/8f14e45f?include=scores')],
  ['normalize target', 'dirty: //, ., %7E, trailing /', () => normalizeTarget('/api//v1/./assessments/%7Eabc/?a=1')],
];

if (match('GET', '/api/v1/assessments/8f14e45f') !== 0 || match('POST', '/api/v1/candidates') !== routes.length - 1) {
  throw new Error('route match cases no longer hit the routes they name: update bench/micro.js');
}
const results = [];
for (const [helper, c, fn] of CASES) {
  const ns = bench(fn);
  results.push({ helper, case: c, ns });
  if (!process.argv.includes('--json')) process.stderr.write(`${helper} — ${c}: ${ns.toFixed(1)} ns/op\n`);
}
if (process.argv.includes('--json')) console.log(JSON.stringify({ runs: RUNS, runMs: RUN_MS, results, sink }));
else {
  const { microTable } = await import('./report.js');
  console.log(microTable({ results }));
}
