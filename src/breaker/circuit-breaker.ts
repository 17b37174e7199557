import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics.js';
import { OutcomeWindow, SUCCESS, FAILURE, SLOW } from './outcome-window.js';
import { fmtMs, monotonicClock, pct, retryAfterSeconds } from './format.js';
import type {
  BreakerDef, BreakerSnapshot, BreakerStateName, Clock, Outcome, Permit, Rejection, Transition, TransitionCause,
} from './types.js';

/**
 * The breaker's state as a discriminated union (cockatiel style): each state
 * carries exactly the data it needs. `gen` changes on every transition so a
 * call admitted before it (e.g. a slow call that finishes after the breaker
 * tripped) can never decide the outcome of a later state.
 */
type State =
  | { readonly kind: 'CLOSED'; readonly gen: number; readonly permit: Permit }
  | { readonly kind: 'OPEN'; readonly gen: number; readonly openedAt: number; until: number; forced: boolean }
  | { readonly kind: 'HALF_OPEN'; readonly gen: number; readonly openedAt: number; readonly permit: Permit; admitted: number; succeeded: number };

const GAUGE: Record<BreakerStateName, number> = { CLOSED: 0, OPEN: 1, HALF_OPEN: 2 };
const STATES: readonly BreakerStateName[] = ['CLOSED', 'OPEN', 'HALF_OPEN'];
const HALF_OPEN_BUSY_MS = 1000;

export interface CircuitBreakerOptions {
  name: string;
  def: BreakerDef;
  metrics?: Metrics;
  logger?: Logger;
  clock?: Clock;
}

/**
 * One named circuit breaker, shared by every route that names it; all state
 * lives here (per process, as in Envoy and resilience4j). A small pure state
 * machine rather than mollitia: see README.md in this folder for the measured
 * reasons (async-only admission, no consecutive rule, no injectable clock).
 *
 * `tryAcquire()` is synchronous and allocation-free while CLOSED; every admitted
 * call must be `release`d exactly once with its outcome.
 */
export class CircuitBreaker {
  readonly name: string;
  readonly def: BreakerDef;
  readonly clock: Clock;
  private readonly minCalls: number;
  private readonly trials: number;
  private readonly window: OutcomeWindow;
  private consecutive = 0;
  private consecutiveSlow = 0;
  private s: State;
  private gen = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private listeners: Array<(t: Transition) => void> = [];
  private readonly logger: Logger | undefined;
  private readonly gauge: { set(v: number): void } | undefined;
  private readonly counters: Record<BreakerStateName, { inc(): void }> | undefined;

  constructor(opts: CircuitBreakerOptions) {
    this.name = opts.name;
    this.def = opts.def;
    this.clock = opts.clock ?? monotonicClock;
    this.logger = opts.logger;
    // A rate over "the last `window` calls" needs the window full at most.
    this.minCalls = Math.max(1, Math.min(opts.def.min_calls, opts.def.window));
    this.trials = Math.max(1, opts.def.half_open_calls);
    this.window = new OutcomeWindow(Math.max(1, opts.def.window));
    this.s = this.closedState();
    if (opts.metrics) {
      const m = opts.metrics;
      this.gauge = m.breakerState.labels(this.name);
      this.gauge.set(0);
      const c = {} as Record<BreakerStateName, { inc(): void }>;
      for (const st of STATES) c[st] = m.breakerTransitions.labels(this.name, st);
      this.counters = c;
    }
  }

  get mode(): 'enforce' | 'shadow' {
    return this.def.mode;
  }

  /** Current state (moves OPEN to HALF_OPEN when `open_for` has elapsed). */
  get state(): BreakerStateName {
    if (this.s.kind === 'OPEN') this.refresh();
    return this.s.kind;
  }

  /** Admit a call or fail fast. Synchronous; never throws. */
  tryAcquire(): Permit | Rejection {
    const s = this.s;
    if (s.kind === 'CLOSED') return s.permit;
    if (s.kind === 'OPEN') {
      const now = this.clock();
      if (now < s.until) {
        if (this.def.mode === 'shadow') return SHADOW_OPEN;
        return { ok: false, state: 'OPEN', retryAfterMs: s.forced ? this.def.open_for : s.until - now };
      }
      this.toHalfOpen();
    }
    const h = this.s;
    if (h.kind !== 'HALF_OPEN') return this.tryAcquire(); // a transition listener moved the state on: decide again
    if (h.admitted < this.trials) {
      h.admitted++;
      return h.permit;
    }
    if (this.def.mode === 'shadow') return SHADOW_HALF_OPEN;
    return { ok: false, state: 'HALF_OPEN', retryAfterMs: HALF_OPEN_BUSY_MS };
  }

  /** Report how an admitted call ended. Exactly once per permit. */
  release(p: Permit, outcome: Outcome): void {
    const s = this.s;
    if (p.gen !== s.gen) return; // admitted by an earlier state, or a shadow would-reject
    if (s.kind === 'CLOSED') {
      if (outcome !== 'ignored') this.recordClosed(outcome);
    } else if (s.kind === 'HALF_OPEN') {
      if (outcome === 'ignored') {
        s.admitted--; // the trial proved nothing; free its slot
      } else if (outcome !== 'success') {
        this.toOpen('trial_failed', `half-open trial call ${outcome === 'slow' ? 'was slower than ' + fmtMs(this.def.slow_call) : 'failed'}`, false);
      } else if (++s.succeeded >= this.trials) {
        this.toClosed('trials_succeeded', `${s.succeeded} of ${this.trials} half-open trial call(s) succeeded`);
      }
    }
  }

  /** Open now and stay open until `forceClose()` or `reset()`. */
  forceOpen(): void {
    const s = this.s;
    if (s.kind === 'OPEN' && s.forced) return;
    if (s.kind === 'OPEN') {
      s.forced = true;
      s.until = Infinity;
      this.clearTimer();
      this.logger?.warn({ breaker: this.name, state: 'OPEN', cause: 'forced' }, `Circuit breaker ${this.name} held open by an operator`);
      return;
    }
    this.toOpen('forced', 'forced open by an operator', true);
  }

  /** Close now (the breaker may trip again on new failures). */
  forceClose(): void {
    if (this.s.kind !== 'CLOSED') this.toClosed('forced', 'forced closed by an operator');
  }

  /** Close and forget every recorded call. */
  reset(): void {
    if (this.s.kind !== 'CLOSED') {
      this.toClosed('reset', 'reset by an operator');
    } else {
      this.window.clear();
      this.consecutive = 0;
      this.consecutiveSlow = 0;
      this.logger?.info({ breaker: this.name, state: 'CLOSED', cause: 'reset' }, `Circuit breaker ${this.name} counters reset`);
    }
  }

  /** Subscribe to state changes; returns the unsubscribe function. */
  onTransition(cb: (t: Transition) => void): () => void {
    this.listeners.push(cb);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== cb);
    };
  }

  snapshot(): BreakerSnapshot {
    const state = this.state;
    const s = this.s;
    const w = this.window;
    const open = s.kind === 'OPEN' ? s : null;
    return {
      name: this.name,
      mode: this.def.mode,
      state,
      failure_rate: w.rate(),
      calls: w.count,
      failures: w.failures,
      slow_calls: w.slow,
      consecutive_failures: this.consecutive,
      opened_at: s.kind === 'CLOSED' ? null : new Date(s.openedAt).toISOString(),
      retry_after_s: open && !open.forced ? retryAfterSeconds(open.until - this.clock()) : null,
      forced: open !== null && open.forced,
      half_open: s.kind === 'HALF_OPEN' ? { admitted: s.admitted, succeeded: s.succeeded } : null,
    };
  }

  /** Stop the timer and drop listeners; the instance must not be used afterwards. */
  close(): void {
    this.clearTimer();
    this.listeners = [];
  }

  private recordClosed(outcome: 'success' | 'failure' | 'slow'): void {
    const w = this.window;
    if (outcome === 'success') {
      w.push(SUCCESS);
      this.consecutive = 0;
      this.consecutiveSlow = 0;
    } else {
      w.push(outcome === 'slow' ? SLOW : FAILURE);
      this.consecutive++;
      if (outcome === 'slow') this.consecutiveSlow++;
      const cf = this.def.consecutive_failures;
      if (cf > 0 && this.consecutive >= cf) {
        const allSlow = this.consecutiveSlow === this.consecutive;
        const reason = `${this.consecutive} consecutive failures (${this.consecutiveSlow} slow)`;
        this.toOpen(allSlow ? 'slow_calls' : 'consecutive_failures', reason, false);
        return;
      }
    }
    // Checked after every call: the call that reaches `min_calls` may be a success.
    if (w.count >= this.minCalls && w.failures > 0 && w.rate() >= this.def.failure_rate) {
      const allSlow = w.slow === w.failures;
      const reason = `failure rate ${pct(w.rate())} >= ${pct(this.def.failure_rate)} over the last ${w.count} calls (${w.slow} slow)`;
      this.toOpen(allSlow ? 'slow_calls' : 'failure_rate', reason, false);
    }
  }

  private refresh(): void {
    const s = this.s;
    if (s.kind !== 'OPEN') return;
    const left = s.until - this.clock();
    if (left <= 0) this.toHalfOpen();
    else if (this.timer === null && Number.isFinite(left)) this.arm(left);
  }

  private closedState(): State {
    const gen = ++this.gen;
    return { kind: 'CLOSED', gen, permit: { ok: true, gen, trial: false, state: 'CLOSED', wouldReject: false } };
  }

  private toOpen(cause: TransitionCause, reason: string, forced: boolean): void {
    const now = this.clock();
    const until = forced ? Infinity : now + this.def.open_for;
    this.transition({ kind: 'OPEN', gen: ++this.gen, openedAt: now, until, forced }, cause, reason, now);
    if (!forced) this.arm(this.def.open_for);
  }

  private toHalfOpen(): void {
    const s = this.s;
    const now = this.clock();
    const openedAt = s.kind === 'CLOSED' ? now : s.openedAt;
    const gen = ++this.gen;
    const permit: Permit = { ok: true, gen, trial: true, state: 'HALF_OPEN', wouldReject: false };
    const reason = `open for ${fmtMs(this.def.open_for)}, probing with ${this.trials} trial call(s)`;
    this.transition({ kind: 'HALF_OPEN', gen, openedAt, permit, admitted: 0, succeeded: 0 }, 'open_for_elapsed', reason, now);
  }

  private toClosed(cause: TransitionCause, reason: string): void {
    const rate = this.window.rate();
    this.window.clear();
    this.consecutive = 0;
    this.consecutiveSlow = 0;
    this.transition(this.closedState(), cause, reason, this.clock(), rate);
  }

  private transition(next: State, cause: TransitionCause, reason: string, at: number, rate = this.window.rate()): void {
    const from = this.s.kind;
    this.clearTimer();
    this.s = next;
    const to = next.kind;
    this.gauge?.set(GAUGE[to]);
    this.counters?.[to].inc();
    const t: Transition = { name: this.name, from, to, cause, reason, failure_rate: rate, at };
    if (this.logger) {
      const fields = { breaker: this.name, from, to, cause, failure_rate: rate, mode: this.def.mode };
      const msg = `Circuit breaker ${this.name} ${from} -> ${to}: ${reason}`;
      if (to === 'OPEN') this.logger.warn(fields, msg);
      else this.logger.info(fields, msg);
    }
    for (const l of this.listeners) {
      try {
        l(t);
      } catch (err) {
        this.logger?.error({ breaker: this.name, err }, 'Circuit breaker transition listener failed');
      }
    }
  }

  /** Move OPEN to HALF_OPEN on time even without traffic, so the gauge stays current. */
  private arm(ms: number): void {
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.refresh();
    }, Math.ceil(ms) + 1);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }
}

// Shadow mode: would-reject permits carry generation -1 so their outcomes never count.
const SHADOW_OPEN: Permit = Object.freeze({ ok: true, gen: -1, trial: false, state: 'OPEN', wouldReject: true });
const SHADOW_HALF_OPEN: Permit = Object.freeze({ ok: true, gen: -1, trial: false, state: 'HALF_OPEN', wouldReject: true });
