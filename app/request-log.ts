// Every request that reached the app (except /__control/*), so integration
// tests can assert "the app received nothing" or "received exactly N".

import type { IncomingHttpHeaders } from 'node:http';

export interface LogEntry {
  method: string;
  /** Path and query as received. */
  url: string;
  headers: IncomingHttpHeaders;
  /** Body bytes the app read so far (grows while a body streams in). */
  bodyBytes: number;
  /** Arrival time, ms since the epoch. */
  time: number;
  /** Status sent, once the response finished (absent for hang/reset). */
  status?: number;
}

export const LOG_CAPACITY = 1000;

/**
 * The last `capacity` requests with their headers, and a count of all of them
 * by path. Capacity 0 keeps the counts only: each kept entry lives through
 * `capacity` requests, long enough to reach V8's old generation, and under a
 * benchmark's load that turned into a full collection every few seconds in
 * the app (the bench's "app directly" row and every proxy behind it paid for
 * it in their p99).
 */
export class RequestLog {
  constructor(private readonly capacity = LOG_CAPACITY) {}

  #ring: LogEntry[] = [];
  #next = 0; // where the next entry goes once the ring is full
  #total = 0;
  #byPath = new Map<string, number>();

  /** Adds an entry and returns it, so the caller can fill in bodyBytes and status. */
  record(method: string, url: string, headers: IncomingHttpHeaders): LogEntry {
    const entry: LogEntry = { method, url, headers: this.capacity > 0 ? { ...headers } : headers, bodyBytes: 0, time: Date.now() };
    if (this.#ring.length < this.capacity) this.#ring.push(entry);
    else if (this.capacity > 0) {
      this.#ring[this.#next] = entry;
      this.#next = (this.#next + 1) % this.capacity;
    }
    this.#total += 1;
    const path = pathOf(url);
    this.#byPath.set(path, (this.#byPath.get(path) ?? 0) + 1);
    return entry;
  }

  /** Requests received since start or the last clear(); with a prefix, those whose path starts with it. */
  count(pathPrefix?: string): number {
    if (pathPrefix === undefined || pathPrefix === '') return this.#total;
    let n = 0;
    for (const [path, c] of this.#byPath) if (path.startsWith(pathPrefix)) n += c;
    return n;
  }

  /** The last `capacity` entries, oldest first. */
  get entries(): LogEntry[] {
    return [...this.#ring.slice(this.#next), ...this.#ring.slice(0, this.#next)];
  }

  clear(): void {
    this.#ring = [];
    this.#next = 0;
    this.#total = 0;
    this.#byPath.clear();
  }
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
