import { describe, it, expect } from 'vitest';
import { PassThrough } from 'node:stream';
import { RetryBudget } from '../../src/breaker/retry-budget.js';
import { breakerStage } from '../../src/pipeline/stages/breaker.js';
import { retryStage, type RetryDef, type RetryStageOptions } from '../../src/pipeline/stages/retry.js';
import type { Exchange } from '../../src/pipeline/exchange.js';
import { problem } from '../../src/pipeline/problem.js';
import type { Handler, Reply } from '../../src/pipeline/types.js';
import { FakeClock, exchange, rig } from './helpers.js';

const DEF: RetryDef = { attempts: 2, on: ['connect_error', 'reset', 503], budget: 0.2 };

type Answer = 'connect' | 'timeout' | 'reset' | number;

/** A fake upstream answering from a script (the last answer repeats). */
function upstream(script: Answer[]): Handler & { calls: number } {
  const h = Object.assign(
    async (x: Exchange): Promise<Reply> => {
      const a = script[Math.min(h.calls, script.length - 1)];
      h.calls++;
      if (typeof a === 'number') return { status: a, headers: {}, body: null };
      x.upstreamFailure = a;
      return problem(x, a === 'timeout' ? 'upstream_timeout' : 'upstream_unavailable', 'fake');
    },
    { calls: 0 },
  );
  return h;
}

function opts(over: Partial<RetryStageOptions> = {}): RetryStageOptions & { waits: number[] } {
  const waits: number[] = [];
  const clock = new FakeClock();
  return {
    budget: new RetryBudget({ ratio: 0.2, clock: clock.now }),
    random: () => 1,
    sleep: async (ms) => {
      waits.push(ms);
      return true;
    },
    waits,
    ...over,
  };
}

describe('retry stage', () => {
  it('tries at most attempts + 1 times and returns the last answer', async () => {
    const next = upstream(['connect']);
    const x = exchange('GET');
    const r = await retryStage(DEF, opts())(next)(x);
    expect(next.calls).toBe(3);
    expect(r.status).toBe(502);
    expect(x.upstreamFailure).toBe('connect');
  });

  it('stops at the first good answer and clears the failure facts', async () => {
    const next = upstream(['reset', 503, 200]);
    const x = exchange('GET');
    const r = await retryStage(DEF, opts())(next)(x);
    expect(r.status).toBe(200);
    expect(next.calls).toBe(3);
    expect(x.upstreamFailure).toBeNull();
    expect(x.errorCode).toBeNull();
  });

  it.each(['POST', 'PATCH'])('never retries %s', async (method) => {
    const next = upstream(['connect']);
    await retryStage(DEF, opts())(next)(exchange(method));
    expect(next.calls).toBe(1);
  });

  it.each(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'])('retries idempotent %s without a body', async (method) => {
    const next = upstream(['connect', 200]);
    await retryStage(DEF, opts())(next)(exchange(method, { 'content-length': '0' }));
    expect(next.calls).toBe(2);
  });

  it.each<Record<string, string>>([{ 'content-length': '12' }, { 'transfer-encoding': 'chunked' }])('never retries a request with a body %o', async (headers) => {
    const next = upstream(['connect']);
    await retryStage(DEF, opts())(next)(exchange('PUT', headers));
    expect(next.calls).toBe(1);
  });

  it.each([
    [['connect', 200], 2],
    [['reset', 200], 2],
    [[503, 200], 2],
    [['timeout', 200], 1], // timeout not listed
    [[500, 200], 1], // 500 not listed
    [[404, 200], 1],
  ] as Array<[Answer[], number]>)('retries only on listed failures: %o -> %i calls', async (script, expected) => {
    const next = upstream(script);
    await retryStage(DEF, opts())(next)(exchange('GET'));
    expect(next.calls).toBe(expected);
  });

  it('matches statuses only on answers from the app, not the proxy 502', async () => {
    const next = upstream(['connect']);
    await retryStage({ attempts: 2, on: [502], budget: 0.2 }, opts())(next)(exchange('GET'));
    expect(next.calls).toBe(1);
  });

  it('backs off exponentially with full jitter, capped', async () => {
    const o = opts({ baseMs: 100, capMs: 250 });
    await retryStage({ attempts: 5, on: ['connect_error'], budget: 1 }, o)(upstream(['connect']))(exchange());
    expect(o.waits).toEqual([100, 200, 250, 250, 250]);
    const o2 = opts({ random: () => 0.5 });
    await retryStage(DEF, o2)(upstream(['connect']))(exchange());
    expect(o2.waits).toEqual([12.5, 25]);
  });

  it('stops retrying when the budget is spent', async () => {
    const clock = new FakeClock();
    const budget = new RetryBudget({ ratio: 0, minPerSecond: 0.3, clock: clock.now }); // 3 retries per 10 s
    const stage = retryStage(DEF, opts({ budget }));
    const next = upstream(['connect']);
    for (let i = 0; i < 4; i++) await stage(next)(exchange());
    expect(next.calls).toBe(4 + 3);
  });

  it('abandons the backoff at once when the client goes away', async () => {
    const next = upstream(['connect']);
    const x = exchange();
    // Real (default) sleep with a one-minute backoff; aborting must end it now.
    const p = retryStage(DEF, opts({ sleep: undefined, baseMs: 60_000, capMs: 60_000 }))(next)(x);
    setImmediate(() => x.abort.abort());
    const r = await p;
    expect(r.status).toBe(499);
    expect(next.calls).toBe(1);
  });

  it('drains a small failed body and destroys a large or unsized one', async () => {
    const small = new PassThrough();
    const large = new PassThrough();
    const bodies: Reply[] = [
      { status: 503, headers: { 'content-length': '5' }, body: small },
      { status: 503, headers: {}, body: large },
      { status: 200, headers: {}, body: null },
    ];
    let n = 0;
    await retryStage(DEF, opts())(async () => bodies[n++])(exchange());
    expect(small.readableFlowing).toBe(true);
    expect(small.destroyed).toBe(false);
    expect(large.destroyed).toBe(true);
  });
});

describe('retry stage with a breaker', () => {
  it('never retries while the breaker is open or half-open', async () => {
    const { breaker, clock } = rig({ consecutive_failures: 1, open_for: 1000, half_open_calls: 1 });
    const next = upstream(['connect']);
    const chain = breakerStage(breaker)(retryStage(DEF, opts({ breaker }))(next));
    await chain(exchange()); // closed: 3 attempts, one logical failure -> OPEN
    expect(next.calls).toBe(3);
    expect(breaker.state).toBe('OPEN');
    await chain(exchange());
    expect(next.calls).toBe(3); // open: nothing reaches the app
    clock.advance(1000);
    await chain(exchange()); // half-open trial: exactly one call
    expect(next.calls).toBe(4);
    expect(breaker.state).toBe('OPEN');
  });

  it('stops when the breaker opens during the backoff', async () => {
    const { breaker } = rig({ consecutive_failures: 1 });
    const o = opts({
      breaker,
      sleep: async () => {
        breaker.forceOpen();
        return true;
      },
    });
    const next = upstream(['connect']);
    const r = await retryStage(DEF, o)(next)(exchange());
    expect(next.calls).toBe(1);
    expect(r.status).toBe(503);
    expect(typeof r.headers['retry-after']).toBe('number');
  });

  it('a shadow breaker does not suppress retries', async () => {
    const { breaker } = rig({ mode: 'shadow', consecutive_failures: 1 });
    breaker.forceOpen();
    const next = upstream(['connect']);
    await retryStage(DEF, opts({ breaker }))(next)(exchange());
    expect(next.calls).toBe(3);
  });
});
