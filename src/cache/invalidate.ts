import type { Exchange } from '../pipeline/exchange.js';
import type { Reply } from '../pipeline/types.js';
import { normalizeTarget } from '../routing/normalize.js';
import { first } from './headers.js';
import { pathPatternMatcher } from './key.js';
import type { ResponseCache } from './response-cache.js';
import type { KeyMatcher } from './types.js';

/** Methods that never invalidate (RFC 9110 §9.2.1 safe methods); every other one does, unknown ones included. */
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

export function isUnsafe(method: string): boolean {
  return !SAFE.has(method);
}

/**
 * Eviction after an unsafe request succeeded:
 * - RFC 9111 §4.4: on a non-error answer (2xx/3xx), the request URL and the
 *   same-host `Location` / `Content-Location` URLs, in every cache;
 * - SPEC §4: on a 2xx, the route's `invalidates` patterns, in every cache.
 * Awaited before the answer goes out, so the client's next read sees fresh data.
 */
export class Invalidator {
  private readonly matchers: KeyMatcher[];

  constructor(
    private readonly caches: readonly ResponseCache[],
    patterns: readonly string[],
  ) {
    this.matchers = patterns.map(pathPatternMatcher);
  }

  async after(x: Exchange, reply: Reply): Promise<void> {
    const s = reply.status;
    if (s < 200 || s >= 400 || this.caches.length === 0) return;
    const urls: Array<[string, string]> = [[x.path, x.query]];
    for (const field of ['location', 'content-location']) {
      const t = sameHostTarget(x, first(reply.headers, field));
      if (t) urls.push(t);
    }
    const patterns = s < 300 ? this.matchers : [];
    await Promise.all(
      this.caches.map(async (c) => {
        for (const [path, query] of urls) await c.invalidateUrl(x.host, path, query);
        if (patterns.length > 0) await c.invalidate(patterns);
      }),
    );
  }
}

/** The normalised path and query of a URL on the request's own host, else null (RFC 9111 §4.4: same origin only). */
export function sameHostTarget(x: Pick<Exchange, 'host' | 'path'>, v: string | undefined): [string, string] | null {
  if (v === undefined || v === '') return null;
  let u: URL;
  try {
    u = new URL(v, `http://${x.host || 'localhost'}${x.path}`);
  } catch {
    return null;
  }
  if (u.host !== (x.host || 'localhost')) return null;
  const t = normalizeTarget(u.pathname + u.search);
  return t ? [t.path, t.query] : null;
}
