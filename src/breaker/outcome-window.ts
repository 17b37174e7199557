/** What one finished call counted as: 0 success, 1 failure, 2 slow (a failure too). */
export type Mark = 0 | 1 | 2;
export const SUCCESS: Mark = 0;
export const FAILURE: Mark = 1;
export const SLOW: Mark = 2;

/**
 * The outcomes of the last `size` calls in a fixed ring (a count-based sliding
 * window, as resilience4j's COUNT_BASED). Totals are kept incrementally, so
 * recording a call and reading the failure rate are O(1) with no allocation.
 */
export class OutcomeWindow {
  private readonly ring: Uint8Array;
  private head = 0;
  /** Calls currently in the window (≤ size). */
  count = 0;
  /** Failures in the window, slow calls included. */
  failures = 0;
  /** Slow calls in the window (a subset of `failures`). */
  slow = 0;

  constructor(readonly size: number) {
    this.ring = new Uint8Array(size);
  }

  push(m: Mark): void {
    if (this.count === this.size) {
      const old = this.ring[this.head];
      if (old !== SUCCESS) this.failures--;
      if (old === SLOW) this.slow--;
    } else {
      this.count++;
    }
    this.ring[this.head] = m;
    this.head = this.head + 1 === this.size ? 0 : this.head + 1;
    if (m !== SUCCESS) this.failures++;
    if (m === SLOW) this.slow++;
  }

  /** Failures (slow included) over the calls in the window; 0 when empty. */
  rate(): number {
    return this.count === 0 ? 0 : this.failures / this.count;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
    this.failures = 0;
    this.slow = 0;
  }
}
