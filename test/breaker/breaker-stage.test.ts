import { describe, it, expect, vi } from 'vitest';
import { breakerStage, classify } from '../../src/pipeline/stages/breaker.js';
import type { Exchange } from '../../src/pipeline/exchange.js';
import type { Handler, Reply } from '../../src/pipeline/types.js';
import { exchange, rig } from './helpers.js';

const reply = (status: number): Reply => ({ status, headers: {}, body: null });

/** A fake upstream: answers `status` after `ms` of injected clock time, optionally as a failure. */
function upstream(
  clock: { advance(ms: number): void },
  status: number,
  ms = 5,
  failure: Exchange['upstreamFailure'] = null,
): Handler & { calls: number } {
  const h = Object.assign(
    async (x: Exchange): Promise<Reply> => {
      h.calls++;
      clock.advance(ms);
      x.upstreamFailure = failure;
      return reply(status);
    },
    { calls: 0 },
  );
  return h;
}

describe('classify', () => {
  it.each([
    [200, null, 10, false, 'success'],
    [404, null, 10, false, 'success'],
    [429, null, 10, false, 'success'],
    [500, null, 10, false, 'failure'],
    [503, null, 10, false, 'failure'],
    [502, 'connect', 10, false, 'failure'],
    [504, 'timeout', 10, false, 'failure'],
    [502, 'reset', 10, false, 'failure'],
    [200, null, 1001, false, 'slow'],
    [404, null, 1001, false, 'slow'],
    [499, null, 10, true, 'ignored'],
    [502, 'reset', 10, true, 'ignored'],
  ] as const)('status %i, failure %s, %i ms, aborted %s -> %s', (status, failure, ms, aborted, expected) => {
    const x = exchange();
    x.upstreamFailure = failure;
    if (aborted) x.abort.abort();
    expect(classify(x, reply(status), ms, 1000)).toBe(expected);
  });
});

describe('breaker stage', () => {
  it('passes calls through while closed and records the outcome', async () => {
    const { breaker, clock } = rig({ consecutive_failures: 2 });
    const next = upstream(clock, 200);
    const x = exchange();
    const r = await breakerStage(breaker)(next)(x);
    expect(r.status).toBe(200);
    expect(next.calls).toBe(1);
    expect(x.breaker).toBe('api:CLOSED');
    expect(breaker.snapshot()).toMatchObject({ calls: 1, failures: 0 });
  });

  it('calls next synchronously (no await before forwarding)', () => {
    const { breaker } = rig();
    const next = vi.fn(async () => reply(200));
    void breakerStage(breaker)(next)(exchange());
    expect(next).toHaveBeenCalledTimes(1);
  });

  it('opens on 5xx and then answers 503 circuit_open with Retry-After without calling next', async () => {
    const { breaker, clock } = rig({ consecutive_failures: 2, open_for: 30_000 });
    const next = upstream(clock, 503);
    const h = breakerStage(breaker)(next);
    await h(exchange());
    await h(exchange());
    expect(breaker.state).toBe('OPEN');
    clock.advance(10_500);
    const x = exchange();
    const r = await h(x);
    expect(next.calls).toBe(2);
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe(20); // 19.49 s left, rounded up
    expect(r.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(String(r.body))).toMatchObject({ code: 'circuit_open', status: 503 });
    expect(x.errorCode).toBe('circuit_open');
    expect(x.breaker).toBe('api:OPEN');
  });

  it('counts connect errors and slow answers, not 4xx', async () => {
    const { breaker, clock } = rig({ consecutive_failures: 0, min_calls: 20, window: 20 });
    const h = (n: Handler): Promise<Reply> => breakerStage(breaker)(n)(exchange());
    await h(upstream(clock, 404));
    await h(upstream(clock, 400));
    await h(upstream(clock, 502, 5, 'connect'));
    await h(upstream(clock, 200, 1001));
    await h(upstream(clock, 200, 999));
    expect(breaker.snapshot()).toMatchObject({ calls: 5, failures: 2, slow_calls: 1 });
  });

  it('does not count a call whose client went away', async () => {
    const { breaker } = rig();
    const x = exchange();
    const next: Handler = async (ex) => {
      ex.abort.abort();
      return reply(499);
    };
    await breakerStage(breaker)(next)(x);
    expect(breaker.snapshot().calls).toBe(0);
  });

  it('answers Retry-After: 1 to arrivals beyond the half-open trials', async () => {
    const { breaker, clock } = rig({ consecutive_failures: 1, half_open_calls: 1, open_for: 1000 });
    const h = breakerStage(breaker);
    await h(upstream(clock, 500))(exchange());
    clock.advance(1000);
    let finish!: (r: Reply) => void;
    const slowTrial = h(() => new Promise<Reply>((res) => (finish = res)))(exchange());
    const x = exchange();
    const r = await h(upstream(clock, 200))(x);
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe(1);
    expect(x.breaker).toBe('api:HALF_OPEN');
    finish(reply(200));
    await slowTrial;
    expect(breaker.state).toBe('CLOSED');
  });

  it('releases the permit when next throws, so no trial slot leaks', async () => {
    const { breaker, clock } = rig({ consecutive_failures: 1, half_open_calls: 1, open_for: 1000 });
    const h = breakerStage(breaker);
    await h(upstream(clock, 500))(exchange());
    clock.advance(1000);
    const boom: Handler = async () => {
      throw new Error('bug');
    };
    await expect(h(boom)(exchange())).rejects.toThrow('bug');
    expect(breaker.state).toBe('OPEN'); // the failed trial re-opened it
  });

  it('shadow mode forwards while open and marks the request', async () => {
    const { breaker, clock } = rig({ mode: 'shadow', consecutive_failures: 1 });
    const h = breakerStage(breaker);
    await h(upstream(clock, 500))(exchange());
    expect(breaker.state).toBe('OPEN');
    const next = upstream(clock, 200);
    const x = exchange();
    const r = await h(next)(x);
    expect(r.status).toBe(200);
    expect(next.calls).toBe(1);
    expect(x.breaker).toBe('api:OPEN(shadow)');
    expect(breaker.state).toBe('OPEN');
  });
});
