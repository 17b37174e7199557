/**
 * What a shared cache may store and reuse (RFC 9111 §3, §5.2; RFC 9213; RFC 5861),
 * narrowed by SPEC §4: only the listed statuses, never Set-Cookie, never a
 * request with Authorization unless `authorization` is part of the key.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { deltaSeconds, fieldNames, parseCacheControl, type Directives } from './cache-control.js';
import { dateValue, freshnessLifetime, initialAge, type RequestRules } from './freshness.js';
import { first, joined, storableHeaders, tokens, type AnyHeaders } from './headers.js';
import { formatHttpDate } from './http-date.js';
import { parseDictionary } from './structured-field.js';
import type { CacheDef, CacheEntry } from './types.js';

export type { RequestRules } from './freshness.js';

/** SPEC §4: the only statuses ever stored. */
export const STORABLE_STATUS: ReadonlySet<number> = new Set([200, 203, 204, 300, 301, 404, 410]);

/** How long past freshness an entry with a validator is kept for conditional revalidation. */
export const REVALIDATE_GRACE_MS = 10 * 60_000;

const PLAIN: RequestRules = Object.freeze({
  bypass: null, noCache: false, maxAgeMs: null, minFreshMs: null, maxStaleMs: null, onlyIfCached: false, sieMs: null,
});

/** The request's cache directives; requests without any share one frozen value. */
export function requestRules(h: IncomingHttpHeaders, authorizationInKey: boolean): RequestRules {
  const cc = h['cache-control'];
  const pragma = h.pragma;
  const auth = h.authorization !== undefined && !authorizationInKey;
  if (cc === undefined && pragma === undefined && !auth) return PLAIN;
  const d = parseCacheControl(cc);
  if (auth) return { ...PLAIN, bypass: 'authorization' };
  if (d.has('no-store')) return { ...PLAIN, bypass: 'no-store' };
  const maxAge = deltaSeconds(d, 'max-age');
  const minFresh = deltaSeconds(d, 'min-fresh');
  const sie = deltaSeconds(d, 'stale-if-error');
  let maxStaleMs: number | null = null;
  const ms = d.get('max-stale');
  if (ms === true) maxStaleMs = Infinity;
  else if (ms !== undefined) {
    const n = deltaSeconds(d, 'max-stale');
    if (typeof n === 'number') maxStaleMs = n * 1000;
  }
  const pragmaNoCache = cc === undefined && tokens(joined(h, 'pragma')).includes('no-cache');
  return {
    bypass: null,
    noCache: d.has('no-cache') || maxAge === 0 || pragmaNoCache,
    maxAgeMs: typeof maxAge === 'number' ? maxAge * 1000 : null,
    minFreshMs: typeof minFresh === 'number' ? minFresh * 1000 : null,
    maxStaleMs,
    onlyIfCached: d.has('only-if-cached'),
    sieMs: typeof sie === 'number' ? sie * 1000 : null,
  };
}

/**
 * The directives that govern storing: a valid, non-empty `CDN-Cache-Control`
 * (RFC 9213) replaces Cache-Control entirely; an invalid one is ignored.
 */
export function responseDirectives(h: AnyHeaders): { d: Directives; targeted: boolean } {
  const cdn = joined(h, 'cdn-cache-control');
  if (cdn !== undefined && cdn.trim() !== '') {
    const dict = parseDictionary(cdn);
    if (dict !== null && dict.size > 0) {
      const d = new Map<string, string | true>();
      let valid = true;
      for (const [k, item] of dict) {
        if (item.type === 'integer') {
          if (item.value < 0) valid = false;
          d.set(k, String(item.value));
        } else if (item.type === 'boolean') {
          if (item.value) d.set(k, true);
        } else if (k === 'max-age' || k === 's-maxage' || k === 'stale-while-revalidate' || k === 'stale-if-error') {
          valid = false;
        } else d.set(k, true);
      }
      if (valid) return { d, targeted: true };
    }
  }
  return { d: parseCacheControl(h['cache-control'] as string | string[] | undefined), targeted: false };
}

export interface ResponseIn {
  status: number;
  headers: AnyHeaders;
  requestTime: number;
  responseTime: number;
}

export type EntryMeta = Omit<CacheEntry, 'body'>;

export type Storability =
  | { ok: true; meta: EntryMeta; ttlMs: number }
  | { ok: false; reason: string };

/** Whether (and how) a response may be stored; `meta` holds the cleaned headers and freshness facts. */
export function analyzeResponse(r: ResponseIn, def: CacheDef): Storability {
  const h = r.headers;
  if (h['set-cookie'] !== undefined) return { ok: false, reason: 'set-cookie' };
  const { d, targeted } = responseDirectives(h);
  if (d.has('no-store')) return { ok: false, reason: 'no-store' };
  const privateFields = fieldNames(d.get('private'));
  if (d.get('private') !== undefined && privateFields === null) return { ok: false, reason: 'private' };
  const varyNames = tokens(joined(h, 'vary'));
  if (varyNames.includes('*')) return { ok: false, reason: 'vary-star' };

  const noCacheFields = fieldNames(d.get('no-cache'));
  const revalidate = d.has('no-cache') && noCacheFields === null;
  const etag = first(h, 'etag') ?? null;
  const lastModified = first(h, 'last-modified') ?? null;
  const hasValidator = etag !== null || lastModified !== null;
  if (revalidate && !hasValidator) return { ok: false, reason: 'no-cache' };

  const dateMs = dateValue(h, r.responseTime);
  const life = freshnessLifetime(d, targeted, h, dateMs, def.ttl, def.max_ttl);
  // SPEC's list governs responses stored on the policy ttl; with the app's own
  // explicit freshness any final status below 500 may be stored (RFC 9111 §3).
  if (!STORABLE_STATUS.has(r.status) && !(life.explicit && r.status >= 200 && r.status < 500 && r.status !== 206 && r.status !== 304)) {
    return { ok: false, reason: 'status' };
  }
  // `ttl: 0` stores only what the app marks cacheable; an unqualified no-cache
  // with a validator is that too (stored, revalidated on every use, §5.2.2.4).
  if (!life.explicit && def.ttl === 0 && !revalidate) return { ok: false, reason: 'no-freshness' };
  const lifetimeMs = revalidate ? 0 : life.ms;
  const initialAgeMs = initialAge(h, dateMs, r.requestTime, r.responseTime);

  const noStale = revalidate || d.has('must-revalidate') || d.has('proxy-revalidate') || typeof deltaSeconds(d, 's-maxage') === 'number';
  const ownSwr = deltaSeconds(d, 'stale-while-revalidate');
  const ownSie = deltaSeconds(d, 'stale-if-error');
  const swrMs = noStale ? 0 : Math.max(def.stale_while_revalidate, typeof ownSwr === 'number' ? ownSwr * 1000 : 0);
  const sieMs = noStale ? 0 : Math.max(def.stale_if_error, typeof ownSie === 'number' ? ownSie * 1000 : 0);

  const freshLeft = Math.max(0, lifetimeMs - initialAgeMs);
  const ttlMs = freshLeft + Math.max(swrMs, sieMs, hasValidator ? REVALIDATE_GRACE_MS : 0);
  if (ttlMs <= 0) return { ok: false, reason: 'stale' };

  const headers = storableHeaders(h, [...(privateFields ?? []), ...(noCacheFields ?? [])]);
  if (headers.date === undefined) headers.date = formatHttpDate(r.responseTime);
  return {
    ok: true,
    ttlMs,
    meta: {
      kind: 'entry', status: r.status, headers, requestTime: r.requestTime, responseTime: r.responseTime,
      lifetimeMs, initialAgeMs, swrMs, sieMs, noStale, revalidate,
      vary: varyNames.length > 0 ? varyNames : null, etag, lastModified,
    },
  };
}

/** Time an entry should live in the store from `now`: freshness left plus the stale windows. */
export function keepMs(e: EntryMeta, now: number): number {
  const age = e.initialAgeMs + Math.max(0, now - e.responseTime);
  const hasValidator = e.etag !== null || e.lastModified !== null;
  return Math.max(0, e.lifetimeMs - age) + Math.max(e.swrMs, e.sieMs, hasValidator ? REVALIDATE_GRACE_MS : 0);
}
