/**
 * Shapes shared by the response cache: the compiled `caches:` definition, what
 * a store holds, and the store interface every backend implements.
 */

/** One named cache of the policy file (SPEC §3 `caches:`), durations in ms, sizes in bytes. */
export interface CacheDef {
  ttl: number;
  max_ttl: number | null;
  max_bytes: number;
  max_entry_bytes: number;
  /** Request header names (lower-case) that are part of the primary key. */
  vary: readonly string[];
  stale_while_revalidate: number;
  stale_if_error: number;
  /** `store.kind: redis`: ms a replica answers from its own copy of an entry read from Redis; 0 or absent: never. */
  near_ttl?: number;
}

/** End-to-end response header fields as stored (lower-case names). */
export type StoredHeaders = Record<string, string | string[]>;

/** A stored response together with what RFC 9111 needs to judge it later. */
export interface CacheEntry {
  kind: 'entry';
  status: number;
  headers: StoredHeaders;
  /** The body as one right-sized Buffer. */
  body: Buffer;
  /** Epoch ms when the request that produced this response was sent (RFC 9111 §4.2.3 request_time). */
  requestTime: number;
  /** Epoch ms when the response arrived (response_time). */
  responseTime: number;
  /** Freshness lifetime in ms (after the policy `ttl` default and `max_ttl` cap). */
  lifetimeMs: number;
  /** corrected_initial_age in ms: incoming Age, response delay and apparent age. */
  initialAgeMs: number;
  /** How long past freshness it may be served while being refreshed (RFC 5861). */
  swrMs: number;
  /** How long past freshness it may be served when the app fails (RFC 5861). */
  sieMs: number;
  /** must-revalidate, proxy-revalidate, s-maxage or no-cache: never served stale. */
  noStale: boolean;
  /** Unqualified `no-cache`: every use needs a successful validation first. */
  revalidate: boolean;
  /** The response's own Vary field names (lower-case), or null when it has none. */
  vary: string[] | null;
  etag: string | null;
  lastModified: string | null;
}

/**
 * Stored under the primary key when the response carries `Vary`: the field
 * names that select a variant. Each variant lives under its secondary key.
 */
export interface VaryMarker {
  kind: 'vary';
  names: string[];
  /** Epoch ms until which the marker must live (the longest-lived variant). */
  expiresAt: number;
}

export type StoredValue = CacheEntry | VaryMarker;

/** Selects keys for eviction: every match starts with `prefix` (a cheap range to scan), `test` decides. */
export interface KeyMatcher {
  prefix: string;
  test(key: string): boolean;
  /** How to build the same matcher in another replica (see `matcherFromSpec`). */
  spec: MatcherSpec;
}

/** A KeyMatcher as data: what an invalidation message carries between replicas. */
export type MatcherSpec = ['all'] | ['key', string] | ['url', string, string, string] | ['pattern', string];

export interface StoreStats {
  entries: number;
  bytes: number;
}

export type MaybePromise<T> = T | Promise<T>;

/**
 * A cache backend. Memory answers synchronously (no await on a hit); Redis
 * returns promises. Implementations never throw for a missing key.
 */
export interface CacheStore {
  get(key: string): MaybePromise<StoredValue | undefined>;
  set(key: string, value: StoredValue, ttlMs: number): MaybePromise<void>;
  delete(key: string): MaybePromise<void>;
  evict(m: KeyMatcher): MaybePromise<number>;
  stats(): MaybePromise<StoreStats>;
  close(): MaybePromise<void>;
}

export function isPromise<T>(v: MaybePromise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}
