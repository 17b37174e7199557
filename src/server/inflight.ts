import type { Exchange } from '../pipeline/exchange.js';

/** The exchanges in flight as the request-timeout sweep and the listener read them: oldest first. */
export interface OpenExchanges extends Iterable<Exchange> {
  readonly size: number;
}

/**
 * Requests being served, so a shutdown can wait for them and name any it had
 * to cut, and the request-timeout sweep can walk them oldest first. While
 * `draining`, responses carry `Connection: close` so clients move to another
 * replica instead of reusing this one.
 *
 * A doubly linked list through the exchanges themselves, not a `Set`: with an
 * add and a delete per request, V8 replaces a Set's hash table every few dozen
 * requests and links each replaced table to its successor (for iterators).
 * Once one table had reached the old generation, that chain kept every later
 * table, and the exchanges listed in it, alive through scavenges: about
 * 1.6 MB promoted per scavenge, 5 ms scavenges and a full GC every second
 * under load, against 73 kB and 1 ms with this list (bench/README.md;
 * `node bench/gc-churn.js` shows the V8 behaviour alone).
 * Unlinking clears the removed exchange's own links, so a dead exchange
 * keeps nothing else alive.
 */
export class InFlight implements OpenExchanges {
  draining = false;
  private count = 0;
  private oldest: Exchange | null = null;
  private newest: Exchange | null = null;
  private idle: (() => void) | null = null;

  get size(): number {
    return this.count;
  }

  add(x: Exchange): void {
    if (this.has(x)) return;
    x.olderOpen = this.newest;
    x.newerOpen = null;
    if (this.newest === null) this.oldest = x;
    else this.newest.newerOpen = x;
    this.newest = x;
    this.count++;
  }

  delete(x: Exchange): void {
    if (!this.has(x)) return;
    const older = x.olderOpen;
    const newer = x.newerOpen;
    if (older === null) this.oldest = newer;
    else older.newerOpen = newer;
    if (newer === null) this.newest = older;
    else newer.olderOpen = older;
    x.olderOpen = null;
    x.newerOpen = null;
    this.count--;
    if (this.count === 0 && this.idle) this.idle();
  }

  private has(x: Exchange): boolean {
    return x.olderOpen != null || this.oldest === x;
  }

  /** Oldest first. The next exchange is read before this one is handed out, so the caller may delete the one it holds. */
  *[Symbol.iterator](): Iterator<Exchange> {
    let x = this.oldest;
    while (x !== null) {
      const next: Exchange | null = x.newerOpen ?? null;
      yield x;
      x = next;
    }
  }

  /** Resolves true when nothing is in flight, false if `ms` passed first. */
  settle(ms: number): Promise<boolean> {
    if (this.count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.idle = null;
        resolve(false);
      }, ms);
      this.idle = () => {
        clearTimeout(t);
        this.idle = null;
        resolve(true);
      };
    });
  }

  /** One line per request still open: what a forced stop cuts. */
  describe(limit = 20): string[] {
    const out: string[] = [];
    for (const x of this) {
      if (out.length === limit) break;
      out.push(`${x.method} ${x.path} (request ${x.id || '-'}, ${Math.round(x.elapsedMs())} ms)`);
    }
    return out;
  }
}
