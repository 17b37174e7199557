import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import net from 'node:net';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startApp, type AppHandle } from '../../app/server.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { parseResponses, sendRaw } from './raw-client.js';
import { Gen, mutate, request, rng } from './fuzz-generator.js';

// Robustness: thousands of random and mutated raw requests through the real
// proxy to the real app, over loopback. Seeded (SONO_GUARD_FUZZ_SEED replays
// a run), bounded in count and time.
const SEED = Number(process.env.SONO_GUARD_FUZZ_SEED ?? 20_260_122);
const CASES = Number(process.env.SONO_GUARD_FUZZ_CASES ?? 3000);
const WORKERS = 16;
const UPGRADE = /\nUpgrade:/i;
const VALID_EVERY = 50;

let app: AppHandle;
let gw: TestProxy;

const POLICY = `
cors:
  allow_origins: [https://app.example]
rate_limits:
  roomy: { key: ip, limits: [1000000/1m] }
breakers:
  app: { failure_rate: 50%, window: 20, min_calls: 10, consecutive_failures: 50, slow_call: 5s, open_for: 1s, half_open_calls: 3 }
caches:
  c: { ttl: 1m, max_bytes: 4mb }
routes:
  - match: { path: /api/v1/assessments/*, methods: [GET, HEAD] }
    rate_limit: roomy
    breaker: app
    cache: c
  - match: { path: /api/v1/** }
    rate_limit: roomy
    breaker: app
  - match: { path: /** }
`;

beforeAll(async () => {
  app = await startApp({ port: 0 });
  gw = await startTestProxy(app.url, POLICY, {
    server: 'header_timeout: 500ms\nrequest_timeout: 3s\nidle_timeout: 1s\nmax_body_bytes: 64kb',
  });
});
afterAll(async () => {
  await gw?.close();
  await app?.close();
});

/** The V8 gc function: vitest workers run without --expose-gc, so turn it on for this process. */
function gcFunction(): (() => void) | null {
  try {
    v8.setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return null;
  }
}

async function heapAfterGc(gc: () => void): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
}

interface Answer {
  status: number;
  contentType: string;
}

/** Send bytes on a fresh connection; half-close or keep open; return what the proxy answered. */
function shoot(g: Gen, bytes: string): Promise<Answer[]> {
  const u = new URL(gw.url);
  return new Promise((resolve) => {
    const s = net.connect(Number(u.port), '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(t);
      s.destroy();
      const raw = Buffer.concat(chunks).toString('latin1');
      const parsed: Answer[] = parseResponses(raw).map((r) => ({ status: r.status, contentType: r.headers['content-type'] ?? '' }));
      // A response cut short (the proxy closed mid-body), or to a HEAD (no body
      // after its Content-Length), still shows its status line and headers.
      if (parsed.length === 0) {
        const head = raw.slice(0, raw.indexOf('\r\n\r\n') >>> 0);
        const m = /^HTTP\/1\.1 (\d{3}) /.exec(head);
        if (m) parsed.push({ status: Number(m[1]), contentType: /\r\ncontent-type: ([^\r]*)/i.exec(head)?.[1] ?? '' });
      }
      resolve(parsed);
    };
    const t = setTimeout(finish, 1500);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('close', finish);
    s.on('error', finish);
    s.on('connect', () => {
      const b = Buffer.from(bytes, 'latin1');
      const cut = g.chance(0.3) ? g.int(b.length + 1) : b.length;
      s.write(b.subarray(0, cut));
      if (cut < b.length) setImmediate(() => !s.destroyed && s.write(b.subarray(cut)));
      if (g.chance(0.8)) setImmediate(() => !s.destroyed && s.end());
    });
  });
}

/**
 * Empty what is meant to fill up to a bound, so the heap comparison sees
 * leaks only: the response cache (up to its max_bytes), the app's request log
 * (1,000 entries) and this test's copy of every proxy log line.
 */
async function forgetBoundedState(): Promise<void> {
  for (const c of gw.proxy.compiledPolicy.caches.values()) await c.purge('/**');
  app.log.clear();
  gw.logs.length = 0;
}

async function valid(): Promise<number> {
  const r = await sendRaw(gw.url, 'GET /api/v1/echo?valid=1 HTTP/1.1\r\nHost: api.example\r\n\r\n', { responses: 1, deadlineMs: 5000 });
  return r.responses[0]?.status ?? 0;
}

async function run(g: Gen, count: number, statuses: Map<number, number>, validStatuses: number[], bare: string[] = []): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const base = request(g);
      const bytes = g.chance(0.5) ? mutate(g, base) : base;
      for (const a of await shoot(g, bytes)) {
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        // Error answers are the proxy's problem+json or the app's own JSON; never Node's empty defaults.
        // (WebSocket upgrade refusals are still empty-bodied: see the upgrade test in responses.test.ts.)
        if (a.status >= 400 && !/^application\/(problem\+)?json/.test(a.contentType) && !UPGRADE.test(bytes) && bare.length < 20) bare.push(`${a.status} ${a.contentType}: ${JSON.stringify(bytes.slice(0, 120))}`);
      }
      if (i % VALID_EVERY === 0) validStatuses.push(await valid());
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
}

describe('fuzzing the edge with raw requests', () => {
  it(`${CASES} random and mutated requests: no crash, no 500, valid requests keep working, heap returns to its start`, async () => {
    const g = new Gen(rng(SEED));
    const gc = gcFunction();
    const statuses = new Map<number, number>();
    const validStatuses: number[] = [];
    const bare: string[] = [];

    // Warm up (JIT, pools, lazily built tables) before the baseline.
    await run(g, 300, new Map(), []);
    await forgetBoundedState();
    const heapBefore = gc ? await heapAfterGc(gc) : 0;

    const t0 = Date.now();
    await run(g, CASES, statuses, validStatuses, bare);
    const elapsed = Date.now() - t0;

    // Every connection the fuzzer opened is gone, and no exchange is left in flight.
    const open = () => new Promise<number>((r) => gw.proxy.server.getConnections((_e, n) => r(n)));
    for (let i = 0; i < 200 && (await open()) > 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(await open()).toBe(0);
    expect((gw.proxy as unknown as { inflight: { size: number } }).inflight.size).toBe(0);

    await forgetBoundedState();
    const heapAfter = gc ? await heapAfterGc(gc) : 0;
    const summary = [...statuses.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}:${n}`).join(' ');
    console.log(
      `fuzz seed=${SEED} cases=${CASES} in ${elapsed} ms; statuses ${summary}; ` +
        (gc ? `heap ${(heapBefore / 2 ** 20).toFixed(1)} → ${(heapAfter / 2 ** 20).toFixed(1)} MiB` : 'heap not measured (no gc)'),
    );

    expect(bare).toEqual([]);
    expect(statuses.get(500) ?? 0).toBe(0);
    expect(statuses.get(502) ?? 0).toBe(0);
    expect(validStatuses.length).toBeGreaterThanOrEqual(CASES / VALID_EVERY);
    expect(validStatuses.every((s) => s === 200)).toBe(true);
    expect(await valid()).toBe(200);
    // Most of what the proxy answered itself is a 4xx refusal.
    expect([...statuses.keys()].some((s) => s >= 400 && s < 500)).toBe(true);
    if (gc) {
      // The app shares this process; bounded state was emptied at both ends.
      expect(heapAfter - heapBefore).toBeLessThan(8 * 2 ** 20);
    }
  }, Math.max(120_000, CASES * 40));
});
