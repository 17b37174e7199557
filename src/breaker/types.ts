/** A breaker's definition as parsed from the policy file (durations in ms, rate 0..1). */
export interface BreakerDef {
  failure_rate: number;
  window: number;
  min_calls: number;
  consecutive_failures: number;
  slow_call: number;
  open_for: number;
  half_open_calls: number;
  mode: 'enforce' | 'shadow';
}

export type BreakerStateName = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

/** Milliseconds from an arbitrary origin; injected so tests never sleep. */
export type Clock = () => number;

/**
 * Admission to call the upstream. Shared and immutable: one object per breaker
 * generation, so the closed-state hot path allocates nothing.
 */
export interface Permit {
  readonly ok: true;
  /** The state generation that admitted the call; outcomes of older generations are ignored. */
  readonly gen: number;
  /** A half-open trial call. */
  readonly trial: boolean;
  /** The state that admitted the call (shadow mode: the state that would have rejected it). */
  readonly state: BreakerStateName;
  /** Shadow mode only: enforce mode would have rejected this call. */
  readonly wouldReject: boolean;
}

/** Fail fast: the breaker is open, or half-open with every trial slot taken. */
export interface Rejection {
  readonly ok: false;
  readonly state: 'OPEN' | 'HALF_OPEN';
  /** Time until a call may be admitted again (a hint for Retry-After). */
  readonly retryAfterMs: number;
}

/**
 * How a finished call counts: `failure` (connect error, timeout, 5xx),
 * `slow` (answered after `slow_call`; counts as a failure), `success`, or
 * `ignored` (client went away: neither success nor failure).
 */
export type Outcome = 'success' | 'failure' | 'slow' | 'ignored';

/** Why a transition happened. */
export type TransitionCause =
  | 'failure_rate'
  | 'consecutive_failures'
  | 'slow_calls'
  | 'trial_failed'
  | 'open_for_elapsed'
  | 'trials_succeeded'
  | 'forced'
  | 'reset';

export interface Transition {
  readonly name: string;
  readonly from: BreakerStateName;
  readonly to: BreakerStateName;
  readonly cause: TransitionCause;
  /** Human-readable reason, e.g. "failure rate 55% >= 50% over the last 20 calls (3 slow)". */
  readonly reason: string;
  /** Failure rate of the call window when the transition happened. */
  readonly failure_rate: number;
  /** Clock time of the transition. */
  readonly at: number;
}

/** What /api/v1/status/system and the admin endpoints show for one breaker. */
export interface BreakerSnapshot {
  name: string;
  mode: 'enforce' | 'shadow';
  state: BreakerStateName;
  /** Failures (slow calls included) over the calls in the window, 0..1. */
  failure_rate: number;
  calls: number;
  failures: number;
  slow_calls: number;
  consecutive_failures: number;
  /** ISO 8601 time the breaker last opened; null while CLOSED. */
  opened_at: string | null;
  /** Seconds until HALF_OPEN while OPEN (null when not open or forced open). */
  retry_after_s: number | null;
  forced: boolean;
  half_open: { admitted: number; succeeded: number } | null;
}
