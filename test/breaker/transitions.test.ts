import { describe, it, expect } from 'vitest';
import type { BreakerDef, BreakerStateName, Outcome } from '../../src/breaker/types.js';
import { calls, gaugeValue, rig, transitionsTo } from './helpers.js';

type Step = Outcome | { advance: number } | 'forceOpen' | 'forceClose' | 'reset';

const S: Outcome = 'success';
const F: Outcome = 'failure';
const SL: Outcome = 'slow';
const I: Outcome = 'ignored';

// Base: window 10, min_calls 4, rate 50%, 5 in a row, open_for 30 s, 3 trials.
const table: Array<[string, Partial<BreakerDef>, Step[], BreakerStateName]> = [
  ['all successes', {}, [S, S, S, S, S, S], 'CLOSED'],
  ['rate below min_calls', {}, [F, F, S], 'CLOSED'],
  ['rate reached at min_calls', {}, [F, F, S, S], 'OPEN'],
  ['rate just under threshold', {}, [F, S, S, S, F, S, S], 'CLOSED'],
  ['4 in a row under the consecutive rule (min_calls 10)', { min_calls: 10, window: 20 }, [F, F, F, F], 'CLOSED'],
  ['5 in a row (min_calls 10)', { min_calls: 10, window: 20 }, [F, F, F, F, F], 'OPEN'],
  ['slow calls count', { min_calls: 10, window: 20 }, [SL, SL, F, SL, SL], 'OPEN'],
  ['ignored calls never count', {}, [I, I, I, I, I, I, I, I], 'CLOSED'],
  ['ignored between failures does not break a run', { min_calls: 10, window: 20 }, [F, F, I, F, F, I, F], 'OPEN'],
  ['open stays open before open_for', {}, [F, F, F, F, { advance: 29_999 }], 'OPEN'],
  ['open becomes half-open after open_for', {}, [F, F, F, F, { advance: 30_000 }], 'HALF_OPEN'],
  ['three good trials close', {}, [F, F, F, F, { advance: 30_000 }, S, S, S], 'CLOSED'],
  ['two good trials do not close yet', {}, [F, F, F, F, { advance: 30_000 }, S, S], 'HALF_OPEN'],
  ['a bad trial re-opens', {}, [F, F, F, F, { advance: 30_000 }, S, F], 'OPEN'],
  ['a slow trial re-opens', {}, [F, F, F, F, { advance: 30_000 }, SL], 'OPEN'],
  ['re-opened waits a full open_for again', {}, [F, F, F, F, { advance: 30_000 }, F, { advance: 29_000 }], 'OPEN'],
  ['single trial config', { half_open_calls: 1 }, [F, F, F, F, { advance: 30_000 }, S], 'CLOSED'],
  ['forced open ignores open_for', {}, ['forceOpen', { advance: 1e9 }], 'OPEN'],
  ['forced close', {}, [F, F, F, F, 'forceClose'], 'CLOSED'],
  ['reset from half-open', {}, [F, F, F, F, { advance: 30_000 }, 'reset'], 'CLOSED'],
  ['closed again starts from an empty window', {}, [F, F, F, F, { advance: 30_000 }, S, S, S, F, F, S], 'CLOSED'],
];

describe('breaker transitions', () => {
  it.each(table)('%s', (_name, over, steps, expected) => {
    const { breaker, clock } = rig(over);
    for (const step of steps) {
      if (typeof step === 'object') clock.advance(step.advance);
      else if (step === 'forceOpen') breaker.forceOpen();
      else if (step === 'forceClose') breaker.forceClose();
      else if (step === 'reset') breaker.reset();
      else calls(breaker, [step]);
    }
    expect(breaker.state).toBe(expected);
  });
});

describe('breaker metrics and logs', () => {
  it('keeps circuit_breaker_state current and counts each transition once', async () => {
    const { breaker, clock, metrics, lines } = rig({ consecutive_failures: 2, open_for: 1000, half_open_calls: 1 }, 'assessment-api');
    const gauge = (): Promise<number | undefined> => gaugeValue(metrics, 'assessment-api');
    expect(await gauge()).toBe(0);
    calls(breaker, [F, F]);
    expect(await gauge()).toBe(1);
    calls(breaker, [F]); // rejected while open: no second transition
    clock.advance(1000);
    expect(breaker.state).toBe('HALF_OPEN');
    expect(await gauge()).toBe(2);
    calls(breaker, [F]);
    expect(await gauge()).toBe(1);
    clock.advance(1000);
    calls(breaker, [S]);
    expect(await gauge()).toBe(0);

    expect(await transitionsTo(metrics, 'assessment-api', 'OPEN')).toBe(2);
    expect(await transitionsTo(metrics, 'assessment-api', 'HALF_OPEN')).toBe(2);
    expect(await transitionsTo(metrics, 'assessment-api', 'CLOSED')).toBe(1);

    const t = lines.filter((l) => l.to !== undefined);
    expect(t.map((l) => [l.to, l.level, l.cause])).toEqual([
      ['OPEN', 40, 'consecutive_failures'],
      ['HALF_OPEN', 30, 'open_for_elapsed'],
      ['OPEN', 40, 'trial_failed'],
      ['HALF_OPEN', 30, 'open_for_elapsed'],
      ['CLOSED', 30, 'trials_succeeded'],
    ]);
    expect(t.every((l) => l.breaker === 'assessment-api')).toBe(true);
  });

  it('logs the failure rate in the reason', () => {
    const { breaker, lines } = rig({ consecutive_failures: 0 }, 'b');
    calls(breaker, [S, F, F, S, F]);
    const open = lines.find((l) => l.to === 'OPEN');
    expect(open?.msg).toBe('Circuit breaker b CLOSED -> OPEN: failure rate 50% >= 50% over the last 4 calls (0 slow)');
    expect(open?.failure_rate).toBe(0.5);
  });
});
