import { request } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import { startApp, type AppHandle } from '../../app/server.js';
import type { ResponseCache } from '../../src/cache/index.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { until } from '../helpers/wait.js';

/** The assessment app with a real sono-guard in front of it. */
export interface Rig {
  app: AppHandle;
  proxy: TestProxy;
  /** The live instance of a named cache (to await Redis writes). */
  cache(name: string): ResponseCache;
  close(): Promise<void>;
}

export async function startRig(sections: string, app?: AppHandle): Promise<Rig> {
  const a = app ?? (await startApp());
  const proxy = await startTestProxy(a.url, sections);
  return {
    app: a,
    proxy,
    cache: (name) => {
      const c = proxy.proxy.compiledPolicy.caches.get(name);
      if (!c) throw new Error(`no cache named ${name}`);
      return c;
    },
    close: async () => {
      await proxy.close();
      if (!app) await a.close();
    },
  };
}

/** One cache `c` on GET/HEAD of the echo endpoint; `def` is the YAML flow mapping of its definition. */
export function echoCached(def = '{ ttl: 1h }', route = ''): string {
  return `caches:
  c: ${def}
routes:
  - match: { path: /api/v1/echo, methods: [GET, HEAD] }
    cache: c
${route}`;
}

/** `/api/v1/echo` with query parameters shaping the app's answer (see app/routes/echo.ts). */
export function echo(params: Record<string, string | number | string[]> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    for (const one of Array.isArray(v) ? v : [v]) q.append(k, String(one));
  }
  const s = q.toString();
  return s === '' ? '/api/v1/echo' : `/api/v1/echo?${s}`;
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export async function send(base: string, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const r = await request(base + path, { method: opts.method ?? 'GET', headers: opts.headers ?? {}, body: opts.body ?? null });
  return { status: r.statusCode, headers: r.headers as IncomingHttpHeaders, body: await r.body.text() };
}

/** A single-valued response header as a string ('' when absent). */
export function h(a: Answer, name: string): string {
  const v = a.headers[name];
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
}

/** The value of one exposition line of `/metrics` (e.g. `cache_hits_total{cache="c"}`), or undefined. */
export async function metric(adminUrl: string, line: string): Promise<number | undefined> {
  const text = (await send(adminUrl, '/metrics')).body;
  const found = text.split('\n').find((l) => l.startsWith(line + ' '));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

export interface CacheSection {
  entries: number;
  bytes: number;
  hits: number;
  misses: number;
  hit_ratio: number;
}

export async function systemStatus(base: string): Promise<{ caches: Record<string, CacheSection>; health: { components: Record<string, string> } }> {
  const r = await send(base, '/api/v1/status/system');
  return JSON.parse(r.body) as { caches: Record<string, CacheSection>; health: { components: Record<string, string> } };
}

export async function adminPost(adminUrl: string, path: string, body?: unknown): Promise<Answer> {
  return send(adminUrl, path, {
    method: 'POST',
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
}

/** Poll `cond` every 20 ms until it holds (something that happens in the background), or fail after `ms`. */

/** The `Age` header as a number (NaN when absent or malformed). */
export function age(a: Answer): number {
  const v = h(a, 'age');
  return /^[0-9]+$/.test(v) ? Number(v) : NaN;
}

export { until };
