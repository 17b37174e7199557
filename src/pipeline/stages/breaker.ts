import type { CircuitBreaker } from '../../breaker/circuit-breaker.js';
import { retryAfterSeconds } from '../../breaker/format.js';
import type { BreakerStateName, Outcome } from '../../breaker/types.js';
import type { Exchange } from '../exchange.js';
import { problem } from '../problem.js';
import type { Reply, Stage } from '../types.js';

/**
 * How one upstream call counts for the breaker. Client aborts prove nothing
 * about the app and are ignored; connect errors, timeouts, resets and 5xx are
 * failures; 4xx are the client's fault and count as successes; a call whose
 * response headers took longer than `slowCallMs` is slow (a failure).
 */
export function classify(x: Exchange, reply: Reply, durationMs: number, slowCallMs: number): Outcome {
  if (x.abort.aborted) return 'ignored';
  if (x.upstreamFailure !== null || reply.status >= 500) return 'failure';
  if (slowCallMs > 0 && durationMs > slowCallMs) return 'slow';
  return 'success';
}

/**
 * The breaker stage (SPEC §4): fail fast with 503 `circuit_open` while the
 * named breaker is OPEN (or HALF_OPEN with its trial slots taken), else pass
 * the call on and record how it ended.
 *
 * Admission is synchronous: nothing is awaited before `next` runs. Decisions
 * are returned, never thrown, so the cache stage outside this one can replace
 * a `circuit_open` or 5xx reply with a stale copy (stale-if-error).
 * The duration of a call is the time until `next` resolves, i.e. until the
 * upstream response headers (the body still streams afterwards).
 */
export function breakerStage(breaker: CircuitBreaker): Stage {
  const name = breaker.name;
  const clock = breaker.clock;
  const slowCall = breaker.def.slow_call;
  // Labels for x.breaker, built once: "assessment-api:CLOSED", "...:OPEN(shadow)".
  const label = {} as Record<BreakerStateName, string>;
  const shadowLabel = {} as Record<BreakerStateName, string>;
  for (const st of ['CLOSED', 'OPEN', 'HALF_OPEN'] as const) {
    label[st] = `${name}:${st}`;
    shadowLabel[st] = `${name}:${st}(shadow)`;
  }

  return (next) =>
    async function breakerGuard(x: Exchange): Promise<Reply> {
      const p = breaker.tryAcquire();
      if (!p.ok) {
        x.breaker = label[p.state];
        const s = retryAfterSeconds(p.retryAfterMs);
        const detail =
          p.state === 'OPEN'
            ? `Circuit breaker ${name} is open; retry in ${s}s`
            : `Circuit breaker ${name} is half-open and its trial calls are in flight; retry in ${s}s`;
        return problem(x, 'circuit_open', detail, { 'retry-after': s });
      }
      x.breaker = p.wouldReject ? shadowLabel[p.state] : label[p.state];
      const t0 = clock();
      let reply: Reply;
      try {
        reply = await next(x);
      } catch (err) {
        // Inner stages answer with values; an exception here is unexpected.
        // Count it unless the client left, so a trial slot is never leaked.
        breaker.release(p, x.abort.aborted ? 'ignored' : 'failure');
        throw err;
      }
      breaker.release(p, classify(x, reply, clock() - t0, slowCall));
      return reply;
    };
}
