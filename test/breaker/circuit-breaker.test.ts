import { describe, it, expect, vi, afterEach } from 'vitest';
import { retryAfterSeconds } from '../../src/breaker/format.js';
import type { Permit, Rejection } from '../../src/breaker/types.js';
import { call, calls, rig } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('CircuitBreaker: tripping', () => {
  it('trips on failure rate only once min_calls calls are in the window', () => {
    const { breaker } = rig({ consecutive_failures: 0, min_calls: 4, failure_rate: 0.5 });
    calls(breaker, ['failure', 'failure', 'success']);
    expect(breaker.state).toBe('CLOSED'); // 67% but only 3 calls
    calls(breaker, ['success']);
    expect(breaker.state).toBe('OPEN'); // 4 calls, 50%
  });

  it('stays closed below the failure rate', () => {
    const { breaker } = rig({ consecutive_failures: 0, failure_rate: 0.5, window: 10, min_calls: 4 });
    calls(breaker, ['failure', 'success', 'success', 'success', 'failure', 'success', 'success', 'success', 'failure']);
    expect(breaker.state).toBe('CLOSED');
    expect(breaker.snapshot().failure_rate).toBeCloseTo(3 / 9);
  });

  it('rates over the last `window` calls only: old failures slide out', () => {
    const { breaker } = rig({ consecutive_failures: 0, failure_rate: 0.5, window: 4, min_calls: 4 });
    calls(breaker, ['failure', 'success', 'success', 'success']);
    calls(breaker, ['success', 'success', 'success', 'success']);
    expect(breaker.snapshot()).toMatchObject({ calls: 4, failures: 0, failure_rate: 0 });
    calls(breaker, ['failure']);
    expect(breaker.snapshot().failure_rate).toBe(0.25);
    expect(breaker.state).toBe('CLOSED');
  });

  it('trips on consecutive failures before min_calls is reached', () => {
    const { breaker, lines } = rig({ consecutive_failures: 3, min_calls: 10, window: 20, failure_rate: 1 });
    calls(breaker, ['failure', 'failure', 'success', 'failure', 'failure']);
    expect(breaker.state).toBe('CLOSED'); // the success broke the run
    calls(breaker, ['failure']);
    expect(breaker.state).toBe('OPEN');
    const open = lines.filter((l) => l.to === 'OPEN');
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ cause: 'consecutive_failures', level: 40 });
    expect(open[0].msg).toContain('3 consecutive failures');
  });

  it('counts slow calls as failures and says so', () => {
    const { breaker, lines } = rig({ consecutive_failures: 0, min_calls: 4, failure_rate: 0.5 });
    calls(breaker, ['slow', 'success', 'slow', 'success']);
    expect(breaker.state).toBe('OPEN');
    expect(breaker.snapshot()).toMatchObject({ slow_calls: 2, failures: 2 });
    expect(lines.find((l) => l.to === 'OPEN')).toMatchObject({ cause: 'slow_calls' });
  });

  it('does not count ignored calls (client aborts) at all', () => {
    const { breaker } = rig({ consecutive_failures: 2, min_calls: 2, failure_rate: 0.6 });
    calls(breaker, ['failure', 'ignored', 'ignored', 'success', 'ignored']);
    expect(breaker.snapshot()).toMatchObject({ calls: 2, failures: 1, consecutive_failures: 0, state: 'CLOSED' });
  });
});

describe('CircuitBreaker: OPEN', () => {
  it('rejects with the time left until HALF_OPEN', () => {
    const { breaker, clock } = rig({ consecutive_failures: 1, open_for: 30_000 });
    call(breaker, 'failure');
    expect(breaker.tryAcquire()).toEqual({ ok: false, state: 'OPEN', retryAfterMs: 30_000 });
    clock.advance(12_300);
    const r = breaker.tryAcquire() as Rejection;
    expect(r.retryAfterMs).toBe(17_700);
    expect(retryAfterSeconds(r.retryAfterMs)).toBe(18);
    expect(breaker.snapshot().retry_after_s).toBe(18);
    clock.advance(17_699);
    expect(retryAfterSeconds((breaker.tryAcquire() as Rejection).retryAfterMs)).toBe(1);
    clock.advance(1);
    expect(breaker.tryAcquire().ok).toBe(true);
    expect(breaker.state).toBe('HALF_OPEN');
  });

  it('reports opened_at and the failure rate that tripped it', () => {
    const { breaker, clock } = rig({ consecutive_failures: 0, min_calls: 4 });
    calls(breaker, ['failure', 'failure', 'success', 'failure']);
    const snap = breaker.snapshot();
    expect(snap).toMatchObject({ state: 'OPEN', failure_rate: 0.75, opened_at: new Date(clock.t).toISOString(), forced: false });
  });

  it('moves to HALF_OPEN on time without traffic (timer keeps the gauge current)', async () => {
    vi.useFakeTimers();
    const { breaker, clock, metrics } = rig({ consecutive_failures: 1, open_for: 5000 });
    call(breaker, 'failure');
    clock.advance(5000);
    vi.advanceTimersByTime(5001);
    const v = (await metrics.breakerState.get()).values.find((e) => e.labels.name === 'api');
    expect(v?.value).toBe(2);
    breaker.close();
  });
});

describe('CircuitBreaker: HALF_OPEN', () => {
  function halfOpen(over: Parameters<typeof rig>[0] = {}): ReturnType<typeof rig> {
    const r = rig({ consecutive_failures: 1, open_for: 10_000, half_open_calls: 3, ...over });
    call(r.breaker, 'failure');
    r.clock.advance(10_000);
    expect(r.breaker.state).toBe('HALF_OPEN');
    return r;
  }

  it('admits exactly half_open_calls of 100 concurrent arrivals, the rest fail fast', async () => {
    const { breaker } = halfOpen();
    let openGate!: () => void;
    const gate = new Promise<void>((r) => (openGate = r));
    let upstreamCalls = 0;
    const arrivals = Array.from({ length: 100 }, async (_, i) => {
      for (let k = 0; k < i % 7; k++) await Promise.resolve(); // interleave arrivals
      const p = breaker.tryAcquire();
      if (!p.ok) return p;
      upstreamCalls++;
      await gate;
      breaker.release(p, 'success');
      return p;
    });
    await new Promise((r) => setImmediate(r));
    expect(upstreamCalls).toBe(3);
    openGate();
    const results = await Promise.all(arrivals);
    expect(results.filter((r) => r.ok)).toHaveLength(3);
    const rejected = results.filter((r): r is Rejection => !r.ok);
    expect(rejected).toHaveLength(97);
    expect(rejected.every((r) => r.state === 'HALF_OPEN' && r.retryAfterMs === 1000)).toBe(true);
    expect(breaker.state).toBe('CLOSED');
  });

  it('closes when every trial succeeds, not before', () => {
    const { breaker } = halfOpen();
    const permits = [breaker.tryAcquire(), breaker.tryAcquire(), breaker.tryAcquire()] as Permit[];
    breaker.release(permits[0], 'success');
    breaker.release(permits[1], 'success');
    expect(breaker.state).toBe('HALF_OPEN');
    breaker.release(permits[2], 'success');
    expect(breaker.state).toBe('CLOSED');
    expect(breaker.snapshot()).toMatchObject({ calls: 0, failures: 0, opened_at: null });
  });

  it.each(['failure', 'slow'] as const)('re-opens for open_for when a trial ends as %s', (outcome) => {
    const { breaker, clock } = halfOpen();
    const a = breaker.tryAcquire() as Permit;
    const b = breaker.tryAcquire() as Permit;
    breaker.release(a, 'success');
    clock.advance(400);
    breaker.release(b, outcome);
    expect(breaker.state).toBe('OPEN');
    expect(breaker.tryAcquire()).toEqual({ ok: false, state: 'OPEN', retryAfterMs: 10_000 });
    expect(breaker.snapshot().opened_at).toBe(new Date(clock.t).toISOString());
  });

  it('frees the slot of a trial whose client went away', () => {
    const { breaker } = halfOpen({ half_open_calls: 1 });
    const a = breaker.tryAcquire() as Permit;
    expect(breaker.tryAcquire().ok).toBe(false);
    breaker.release(a, 'ignored');
    const b = breaker.tryAcquire();
    expect(b.ok).toBe(true);
    breaker.release(b as Permit, 'success');
    expect(breaker.state).toBe('CLOSED');
  });

  it('ignores calls admitted before the trip (a late slow call cannot decide HALF_OPEN)', () => {
    const { breaker, clock } = rig({ consecutive_failures: 1, open_for: 10_000, half_open_calls: 1 });
    const early = breaker.tryAcquire() as Permit;
    call(breaker, 'failure');
    clock.advance(10_000);
    const trial = breaker.tryAcquire() as Permit;
    breaker.release(early, 'slow');
    expect(breaker.state).toBe('HALF_OPEN');
    breaker.release(trial, 'success');
    expect(breaker.state).toBe('CLOSED');
  });
});

describe('CircuitBreaker: operator forcing', () => {
  it('a forced-open breaker stays open past open_for until closed', () => {
    const { breaker, clock, lines } = rig({ open_for: 1000 });
    breaker.forceOpen();
    clock.advance(3_600_000);
    expect(breaker.state).toBe('OPEN');
    expect(breaker.tryAcquire()).toEqual({ ok: false, state: 'OPEN', retryAfterMs: 1000 });
    expect(breaker.snapshot()).toMatchObject({ forced: true, retry_after_s: null });
    breaker.forceClose();
    expect(breaker.state).toBe('CLOSED');
    expect(breaker.tryAcquire().ok).toBe(true);
    expect(lines.filter((l) => l.cause === 'forced').map((l) => l.to)).toEqual(['OPEN', 'CLOSED']);
  });

  it('forceOpen on an already open breaker holds it open', () => {
    const { breaker, clock } = rig({ consecutive_failures: 1, open_for: 1000 });
    call(breaker, 'failure');
    breaker.forceOpen();
    clock.advance(5000);
    expect(breaker.state).toBe('OPEN');
  });

  it('reset closes and forgets recorded calls', () => {
    const { breaker } = rig({ consecutive_failures: 3, min_calls: 10 });
    calls(breaker, ['failure', 'failure']);
    breaker.reset();
    calls(breaker, ['failure', 'failure']);
    expect(breaker.state).toBe('CLOSED');
    breaker.forceOpen();
    breaker.reset();
    expect(breaker.snapshot()).toMatchObject({ state: 'CLOSED', calls: 0, consecutive_failures: 0, forced: false });
  });
});

describe('CircuitBreaker: shadow mode', () => {
  it('never rejects but tracks, logs and exports transitions', async () => {
    const { breaker, clock, metrics, lines } = rig({ mode: 'shadow', consecutive_failures: 2, half_open_calls: 2, open_for: 1000 });
    calls(breaker, ['failure', 'failure']);
    expect(breaker.state).toBe('OPEN');
    const p = breaker.tryAcquire();
    expect(p).toMatchObject({ ok: true, wouldReject: true, state: 'OPEN' });
    breaker.release(p as Permit, 'success'); // would-reject calls do not count
    expect(breaker.state).toBe('OPEN');
    clock.advance(1000);
    const trials = [breaker.tryAcquire(), breaker.tryAcquire()] as Permit[];
    const extra = breaker.tryAcquire();
    expect(extra).toMatchObject({ ok: true, wouldReject: true, state: 'HALF_OPEN' });
    for (const t of trials) breaker.release(t, 'success');
    expect(breaker.state).toBe('CLOSED');
    expect(lines.map((l) => l.to).filter(Boolean)).toEqual(['OPEN', 'HALF_OPEN', 'CLOSED']);
    const v = (await metrics.breakerTransitions.get()).values.filter((e) => e.value > 0).map((e) => e.labels.to);
    expect(v.sort()).toEqual(['CLOSED', 'HALF_OPEN', 'OPEN']);
  });
});

describe('CircuitBreaker: listeners', () => {
  it('calls onTransition listeners until unsubscribed; a throwing listener breaks nothing', () => {
    const { breaker, clock } = rig({ consecutive_failures: 1, open_for: 100, half_open_calls: 1 });
    const seen: string[] = [];
    breaker.onTransition(() => {
      throw new Error('bad listener');
    });
    const off = breaker.onTransition((t) => seen.push(`${t.from}->${t.to}:${t.cause}`));
    call(breaker, 'failure');
    clock.advance(100);
    call(breaker, 'success');
    off();
    breaker.forceOpen();
    expect(seen).toEqual(['CLOSED->OPEN:consecutive_failures', 'OPEN->HALF_OPEN:open_for_elapsed', 'HALF_OPEN->CLOSED:trials_succeeded']);
    expect(breaker.state).toBe('OPEN');
  });
});
