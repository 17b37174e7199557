import type { Clock } from './types.js';
import { monotonicClock } from './format.js';

export interface RetryBudgetOptions {
  /** Retries allowed as a fraction of the requests of the window (route `retry.budget`, e.g. 0.2). */
  ratio: number;
  /** Retries always allowed per second whatever the traffic (Linkerd's `minRetriesPerSecond`). */
  minPerSecond?: number;
  /** Length of the sliding window. */
  windowMs?: number;
  clock?: Clock;
}

const BUCKETS = 10;

/**
 * A retry budget as in Linkerd and Finagle: over the last `windowMs` (10 s),
 * retries may not exceed `ratio` × requests plus a small reserve of
 * `minPerSecond` per second, so a low-traffic route can still retry while a
 * failing upstream under load can never be hit by a retry storm.
 *
 * Counts live in ten one-second buckets (the window slides in 1 s steps);
 * recording and checking are O(1) and allocation-free.
 */
export class RetryBudget {
  readonly ratio: number;
  private readonly reserve: number;
  private readonly bucketMs: number;
  private readonly clock: Clock;
  private readonly requests = new Uint32Array(BUCKETS);
  private readonly retries = new Uint32Array(BUCKETS);
  private epoch = -1;
  private totalRequests = 0;
  private totalRetries = 0;

  constructor(opts: RetryBudgetOptions) {
    const windowMs = opts.windowMs ?? 10_000;
    this.ratio = opts.ratio;
    this.reserve = (opts.minPerSecond ?? 3) * (windowMs / 1000);
    this.bucketMs = windowMs / BUCKETS;
    this.clock = opts.clock ?? monotonicClock;
  }

  /** Count one request (the first attempt of each call through the route). */
  recordRequest(): void {
    const i = this.advance();
    this.requests[i]++;
    this.totalRequests++;
  }

  /** Take one retry from the budget; false when it is spent (then do not retry). */
  tryWithdraw(): boolean {
    const i = this.advance();
    if (this.totalRetries + 1 > this.ratio * this.totalRequests + this.reserve) return false;
    this.retries[i]++;
    this.totalRetries++;
    return true;
  }

  snapshot(): { requests: number; retries: number; remaining: number } {
    this.advance();
    const allowed = Math.floor(this.ratio * this.totalRequests + this.reserve);
    return { requests: this.totalRequests, retries: this.totalRetries, remaining: Math.max(0, allowed - this.totalRetries) };
  }

  /** Nothing to release; present so the state registry can retire budgets like other policy state. */
  close(): void {}

  /** Expire the buckets that left the window; returns the current bucket's index. */
  private advance(): number {
    const epoch = Math.floor(this.clock() / this.bucketMs);
    if (epoch > this.epoch) {
      const gap = Math.min(BUCKETS, epoch - this.epoch);
      for (let k = 1; k <= gap; k++) {
        const j = (epoch - gap + k) % BUCKETS;
        this.totalRequests -= this.requests[j];
        this.totalRetries -= this.retries[j];
        this.requests[j] = 0;
        this.retries[j] = 0;
      }
      this.epoch = epoch;
    }
    return this.epoch % BUCKETS;
  }
}
