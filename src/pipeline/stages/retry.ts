import { setTimeout as delay } from 'node:timers/promises';
import type { CircuitBreaker } from '../../breaker/circuit-breaker.js';
import type { RetryBudget } from '../../breaker/retry-budget.js';
import type { Exchange } from '../exchange.js';
import { problem } from '../problem.js';
import { discardBody } from '../../forward/body.js';
import type { Reply, Stage } from '../types.js';

/** A route's `retry:` as parsed from the policy file (`budget` a fraction, e.g. 0.2). */
export interface RetryDef {
  /** Retries after the first attempt (Envoy's `num_retries`): the app sees at most attempts + 1 calls. */
  attempts: number;
  on: ReadonlyArray<'connect_error' | 'timeout' | 'reset' | number>;
  budget: number;
}

export interface RetryStageOptions {
  /** Shared by every request of the route. */
  budget: RetryBudget;
  /** The route's breaker: no retry unless it is CLOSED (enforce mode). */
  breaker?: CircuitBreaker | null;
  /** Backoff: full jitter over min(capMs, baseMs × 2^(retry-1)). */
  baseMs?: number;
  capMs?: number;
  random?: () => number;
  /** Waits `ms`; resolves false when `signal` aborts first. Injected by tests. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<boolean>;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
/** Failed bodies up to this size are drained (keeping the connection); larger ones destroyed. */
const DRAIN_LIMIT = 64 * 1024;

const defaultSleep = (ms: number, signal: AbortSignal): Promise<boolean> =>
  delay(ms, true, { signal }).catch(() => false);

/**
 * Retries (SPEC §3 route `retry`), between the breaker and forward. Only
 * idempotent methods without a request body (the proxy streams bodies and
 * holds no copy to resend); only on the listed failures; never beyond the
 * route's retry budget; never while the breaker is not CLOSED, so a
 * half-open trial is one call and an open breaker sees no retries.
 * The breaker outside sees one logical call: the outcome of the last attempt.
 */
export function retryStage(def: RetryDef, opts: RetryStageOptions): Stage {
  const { budget } = opts;
  const breaker = opts.breaker && opts.breaker.mode === 'enforce' ? opts.breaker : null;
  const baseMs = opts.baseMs ?? 25;
  const capMs = opts.capMs ?? 250;
  const random = opts.random ?? Math.random;
  const sleep = opts.sleep ?? defaultSleep;
  const onConnect = def.on.includes('connect_error');
  const onTimeout = def.on.includes('timeout');
  const onReset = def.on.includes('reset');
  const statuses = new Set(def.on.filter((o): o is number => typeof o === 'number'));

  const retriable = (x: Exchange, r: Reply): boolean => {
    switch (x.upstreamFailure) {
      case 'connect':
        return onConnect;
      case 'timeout':
        return onTimeout;
      case 'reset':
        return onReset;
      default:
        // Statuses match answers the app gave, not the proxy's own 502/504.
        return statuses.has(r.status);
    }
  };

  return (next) =>
    async function retrying(x: Exchange): Promise<Reply> {
      budget.recordRequest();
      if (!IDEMPOTENT.has(x.method) || hasBody(x)) return next(x);
      let reply = await next(x);
      for (let retry = 1; retry <= def.attempts; retry++) {
        if (x.abort.aborted || !retriable(x, reply)) return reply;
        if (breaker !== null && breaker.state !== 'CLOSED') return reply;
        if (!budget.tryWithdraw()) return reply;
        discard(reply);
        const wait = random() * Math.min(capMs, baseMs * 2 ** (retry - 1));
        if (!(await sleep(wait, x.abort.signal))) return { status: 499, headers: {}, body: null };
        if (breaker !== null && breaker.state !== 'CLOSED') {
          // Opened during the backoff: the failed body is gone, answer as the breaker would.
          const s = breaker.snapshot().retry_after_s ?? 1;
          return problem(x, 'circuit_open', `Circuit breaker ${breaker.name} opened while retrying; retry in ${s}s`, { 'retry-after': s });
        }
        x.upstreamFailure = null;
        x.errorCode = null;
        reply = await next(x);
      }
      return reply;
    };
}

function hasBody(x: Exchange): boolean {
  const h = x.req.headers;
  const len = h['content-length'];
  return (len !== undefined && len !== '0') || h['transfer-encoding'] !== undefined;
}

/**
 * Free a failed attempt's upstream body before the next attempt: a small body
 * of known length is drained so its keep-alive connection can be reused,
 * anything else is destroyed (which closes that connection).
 */
function discard(reply: Reply): void {
  const len = Number(reply.headers['content-length']);
  discardBody(reply.body, Number.isFinite(len) && len <= DRAIN_LIMIT);
}
