import type { Exchange } from '../pipeline/exchange.js';

/**
 * Requests being served, so a shutdown can wait for them and name any it had
 * to cut. While `draining`, responses carry `Connection: close` so clients
 * move to another replica instead of reusing this one.
 */
export class InFlight {
  readonly open = new Set<Exchange>();
  draining = false;
  private idle: (() => void) | null = null;

  add(x: Exchange): void {
    this.open.add(x);
  }

  delete(x: Exchange): void {
    this.open.delete(x);
    if (this.open.size === 0 && this.idle) this.idle();
  }

  /** Resolves true when nothing is in flight, false if `ms` passed first. */
  settle(ms: number): Promise<boolean> {
    if (this.open.size === 0) return Promise.resolve(true);
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
    for (const x of this.open) {
      if (out.length === limit) break;
      out.push(`${x.method} ${x.path} (request ${x.id || '-'}, ${Math.round(x.elapsedMs())} ms)`);
    }
    return out;
  }
}
