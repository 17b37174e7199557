import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics.js';

export type StoreHealth = 'operational' | 'degraded';

export interface StoreGuardOptions<C = unknown> {
  /** Label for `store_errors_total{store}` and log lines. Default `redis`. */
  name?: string;
  /** Longest wait for one operation, ms (`store.timeout`). Clamped to ≥ 50: shorter times out falsely under bursts. Default 100. */
  timeoutMs?: number;
  /** Consecutive failures that open the internal breaker. Default 3. */
  failureThreshold?: number;
  /** First pause before probing again, ms; doubles per failed probe up to `maxOpenMs`. Default 500. */
  openMs?: number;
  /** Default 5000. */
  maxOpenMs?: number;
  metrics?: Pick<Metrics, 'storeErrors'>;
  logger?: Logger;
  now?: () => number;
  /**
   * A cheap call (e.g. PING) run in the background when the pause is over, so
   * the store recovers (and health says so) even when no request comes.
   */
  probe?: (client: C) => Promise<unknown>;
}

export interface StoreGuardSnapshot {
  health: StoreHealth;
  state: 'closed' | 'open' | 'half-open';
  consecutive_failures: number;
  errors_total: number;
  last_error: string | null;
}

/** Thrown into `op`'s outcome when it does not settle within the timeout. */
export class StoreTimeoutError extends Error {
  constructor(ms: number) {
    super(`store operation timed out after ${ms} ms`);
    this.name = 'StoreTimeoutError';
  }
}

/**
 * Puts a shared store (Redis) behind a timeout and an internal breaker so
 * that callers never see its failures (STYLE §4, SPEC §7):
 *
 *  - `run(op, fallback)` runs `op(client)`; a rejection or a timeout counts
 *    in `store_errors_total{store}` and answers with `fallback()` instead;
 *  - after `failureThreshold` consecutive failures the breaker opens: for a
 *    short, growing pause `op` is not called at all (a hung Redis would
 *    otherwise cost the full timeout on every request), then ONE call probes
 *    while the rest keep using the fallback; success closes it;
 *  - `health()` is `degraded` while the breaker is not closed; the
 *    `degraded` / `recovered` events and log lines fire once per transition.
 *
 * Generic over the client so every shared-state user (rate limits, cache)
 * wraps the same connection in the same guard.
 */
export class StoreGuard<C> extends EventEmitter {
  readonly client: C;
  readonly name: string;
  readonly timeoutMs: number;
  private readonly threshold: number;
  private readonly baseOpenMs: number;
  private readonly maxOpenMs: number;
  private readonly now: () => number;
  private readonly logger: Logger | undefined;
  private readonly errorsMetric: { inc(n?: number): void } | undefined;
  private state: 'closed' | 'open' | 'half-open' = 'closed';
  private failures = 0;
  private errors = 0;
  private lastError: string | null = null;
  private openFor: number;
  private openUntil = 0;
  private readonly probe: ((client: C) => Promise<unknown>) | undefined;
  private probeTimer: NodeJS.Timeout | null = null;

  constructor(client: C, opts: StoreGuardOptions<C> = {}) {
    super();
    this.client = client;
    this.name = opts.name ?? 'redis';
    this.timeoutMs = Math.max(50, opts.timeoutMs ?? 100);
    this.threshold = Math.max(1, opts.failureThreshold ?? 3);
    this.baseOpenMs = opts.openMs ?? 500;
    this.maxOpenMs = Math.max(this.baseOpenMs, opts.maxOpenMs ?? 5000);
    this.openFor = this.baseOpenMs;
    this.now = opts.now ?? Date.now;
    this.logger = opts.logger;
    this.errorsMetric = opts.metrics?.storeErrors.labels(this.name);
    this.errorsMetric?.inc(0); // the series exists from the start, so increase() sees the first error
    this.probe = opts.probe;
  }

  /** Run `op` against the store, or answer with `fallback` when it fails, times out or the breaker is open. */
  run<T>(op: (client: C) => Promise<T>, fallback: () => T | Promise<T>): Promise<T> {
    if (this.state !== 'closed') {
      if (this.state === 'half-open' || this.now() < this.openUntil) return settle(fallback);
      this.state = 'half-open'; // this call is the probe
    }
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const fail = (err: unknown) => {
        this.failure(err);
        settle(fallback).then(resolve, reject);
      };
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        fail(new StoreTimeoutError(this.timeoutMs));
      }, this.timeoutMs);
      timer.unref();
      let p: Promise<T>;
      try {
        p = op(this.client);
      } catch (err) {
        p = Promise.reject(err);
      }
      p.then(
        (v) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          this.success();
          resolve(v);
        },
        (err: unknown) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          fail(err);
        },
      );
    });
  }

  health(): StoreHealth {
    return this.state === 'closed' ? 'operational' : 'degraded';
  }

  /** Open the breaker now (e.g. the connection was lost): no caller waits to find out. */
  trip(reason: string): void {
    this.lastError = reason;
    if (this.state === 'closed') this.open(reason);
  }

  /** The store looks reachable again (e.g. reconnected): let the next call probe without waiting. */
  probeSoon(): void {
    if (this.state !== 'open') return;
    this.openUntil = 0;
    this.scheduleProbe(0);
  }

  /** Stop background probing (the client is being closed). */
  close(): void {
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = null;
  }

  snapshot(): StoreGuardSnapshot {
    return {
      health: this.health(),
      state: this.state,
      consecutive_failures: this.failures,
      errors_total: this.errors,
      last_error: this.lastError,
    };
  }

  private success(): void {
    this.failures = 0;
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.openFor = this.baseOpenMs;
    this.logger?.info({ store: this.name }, `Store ${this.name} recovered: shared state in use again`);
    this.emit('recovered');
  }

  private failure(err: unknown): void {
    this.errors++;
    this.failures++;
    this.errorsMetric?.inc();
    this.lastError = err instanceof Error ? err.message : String(err);
    if (this.state === 'half-open') {
      this.openFor = Math.min(this.openFor * 2, this.maxOpenMs);
      this.state = 'open';
      this.openUntil = this.now() + this.openFor;
      this.scheduleProbe(this.openFor);
    } else if (this.state === 'closed' && this.failures >= this.threshold) {
      this.open(this.lastError);
    }
  }

  private scheduleProbe(delayMs: number): void {
    const probe = this.probe;
    if (!probe) return;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = setTimeout(() => {
      this.probeTimer = null;
      if (this.state !== 'open') return;
      // Timers run on the monotonic clock, `openUntil` is wall-clock time:
      // the timer can fire a millisecond "early". Skipping the probe then
      // would leave the store degraded until some request came by.
      const wait = this.openUntil - this.now();
      if (wait > 0) this.scheduleProbe(wait);
      else void this.run(probe, noop);
    }, delayMs);
    this.probeTimer.unref();
  }

  private open(reason: string): void {
    this.state = 'open';
    this.openUntil = this.now() + this.openFor;
    this.scheduleProbe(this.openFor);
    this.logger?.warn({ store: this.name, reason }, `Store ${this.name} degraded: ${reason}; using the fallback until it recovers`);
    this.emit('degraded', reason);
  }
}

function noop(): undefined {
  return undefined;
}

function settle<T>(fallback: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(fallback());
  } catch (err) {
    return Promise.reject(err);
  }
}
