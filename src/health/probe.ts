import type { Pool } from 'undici';
import type { Logger } from 'pino';

/**
 * Active health probe of the app: GET `path` every `interval`, a 2xx within
 * `timeout` passes. The result drives readiness and the `upstream` component
 * of /health. Transitions are logged once, not every probe.
 */
export class UpstreamProbe {
  healthy = false;
  checkedAt: Date | null = null;
  lastError: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    private pool: Pool,
    private path: string,
    private intervalMs: number,
    private timeoutMs: number,
    private log: Logger,
  ) {}

  start(): Promise<void> {
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
    return this.check();
  }

  /** Point the probe at a new pool / settings after a reload, without losing its last result. */
  update(pool: Pool, path: string, intervalMs: number, timeoutMs: number): void {
    const restart = intervalMs !== this.intervalMs;
    this.pool = pool;
    this.path = path;
    this.intervalMs = intervalMs;
    this.timeoutMs = timeoutMs;
    if (restart && this.timer) {
      clearInterval(this.timer);
      this.timer = setInterval(() => void this.check(), this.intervalMs);
      this.timer.unref();
    }
  }

  async check(): Promise<void> {
    if (this.running) return;
    this.running = true;
    let ok = false;
    let error: string | null = null;
    try {
      const r = await this.pool.request({
        path: this.path,
        method: 'GET',
        headers: { 'user-agent': 'sono-guard-health-probe' },
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      await r.body.dump();
      ok = r.statusCode >= 200 && r.statusCode < 300;
      if (!ok) error = `health check answered ${r.statusCode}`;
    } catch (err) {
      error = (err as Error).message || String(err);
    } finally {
      this.running = false;
    }
    if (ok !== this.healthy || this.checkedAt === null) {
      if (ok) this.log.info({ component: 'upstream' }, 'Upstream health check passed: upstream is operational');
      else this.log.warn({ component: 'upstream', error }, `Upstream health check failed: ${error}`);
    }
    this.healthy = ok;
    this.lastError = error;
    this.checkedAt = new Date();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
