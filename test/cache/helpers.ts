import { Readable } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Exchange } from '../../src/pipeline/exchange.js';
import type { Reply } from '../../src/pipeline/types.js';
import type { CacheDef, CacheEntry } from '../../src/cache/types.js';
import { asStream } from '../../src/forward/body.js';
import { formatHttpDate } from '../../src/cache/http-date.js';

export const T0 = Date.UTC(2026, 0, 22, 10, 30, 0);

/** A clock tests move by hand. */
export function manualClock(start = T0) {
  let t = start;
  return { now: () => t, advance: (ms: number) => { t += ms; }, set: (ms: number) => { t = ms; } };
}

export function cacheDef(o: Partial<CacheDef> = {}): CacheDef {
  return {
    ttl: 0, max_ttl: null, max_bytes: 1 << 20, max_entry_bytes: 64 * 1024, vary: [],
    stale_while_revalidate: 0, stale_if_error: 0, ...o,
  };
}

/** An Exchange for `method path?query` with request headers, as the pipeline hands it to the cache stage. */
export function exchange(method: string, target: string, headers: Record<string, string> = {}, host = 'app.test'): Exchange {
  const req = { method, headers: { host, ...headers }, url: target } as unknown as IncomingMessage;
  const x = new Exchange(req, {} as ServerResponse, process.hrtime.bigint());
  const q = target.indexOf('?');
  x.path = q === -1 ? target : target.slice(0, q);
  x.query = q === -1 ? '' : target.slice(q);
  x.host = host;
  x.id = 'req-1';
  return x;
}

/** An upstream reply with a streamed body (chunks pushed as the reader pulls). */
export function upstream(status: number, headers: Record<string, string | string[]>, body: string | Buffer | Buffer[] = ''): Reply {
  const chunks = Array.isArray(body) ? body : [Buffer.from(body)];
  return { status, headers: { date: formatHttpDate(T0), ...headers }, body: Readable.from(chunks, { objectMode: false }) };
}

/** Read a reply body to the end. */
export async function text(r: Reply): Promise<string> {
  if (r.body === null) return '';
  if (Buffer.isBuffer(r.body)) return r.body.toString();
  const parts: Buffer[] = [];
  for await (const c of asStream(r.body)) parts.push(Buffer.from(c as Buffer));
  return Buffer.concat(parts).toString();
}

export function storedEntry(o: Partial<CacheEntry> = {}): CacheEntry {
  return {
    kind: 'entry', status: 200, headers: { 'content-type': 'text/plain', date: formatHttpDate(T0) }, body: Buffer.from('hello'),
    requestTime: T0, responseTime: T0, lifetimeMs: 60_000, initialAgeMs: 0, swrMs: 0, sieMs: 0,
    noStale: false, revalidate: false, vary: null, etag: null, lastModified: null, ...o,
  };
}

/** Let queued promise callbacks and stream ticks run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}
