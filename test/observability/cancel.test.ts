import { describe, it, expect } from 'vitest';
import { Cancel } from '../../src/pipeline/exchange.js';

describe('exchange cancellation', () => {
  it('runs each listener once on abort, not after removal, and a late signal is already aborted', () => {
    const c = new Cancel();
    const calls: string[] = [];
    const a = () => calls.push('a');
    const b = () => calls.push('b');
    c.once('abort', a).on('abort', b);
    c.removeListener('abort', b);
    c.abort();
    c.abort();
    expect(calls).toEqual(['a']);
    expect(c.aborted).toBe(true);
    expect(c.signal.aborted).toBe(true);
  });

  it('a signal taken before the abort follows it', () => {
    const c = new Cancel();
    const s = c.signal;
    expect(s.aborted).toBe(false);
    c.abort();
    expect(s.aborted).toBe(true);
  });
});
