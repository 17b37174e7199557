import { describe, it, expect } from 'vitest';
import { StateRegistry } from '../../src/runtime/registry.js';

class Thing {
  closed = false;
  constructor(readonly def: unknown) {}
  close() {
    this.closed = true;
  }
}

describe('state registry', () => {
  it('returns the same instance for an unchanged definition (key order does not matter)', async () => {
    const r = new StateRegistry();
    r.begin();
    const a = r.get('breaker', 'api', { window: 20, open_for: 1000 }, () => new Thing(1));
    await r.sweep();
    r.begin();
    const b = r.get('breaker', 'api', { open_for: 1000, window: 20 }, () => new Thing(2));
    await r.sweep();
    expect(b).toBe(a);
    expect(a.closed).toBe(false);
  });

  it('replaces and closes the instance when its definition changed', async () => {
    const r = new StateRegistry();
    r.begin();
    const a = r.get('breaker', 'api', { window: 20 }, () => new Thing(1));
    await r.sweep();
    r.begin();
    const b = r.get('breaker', 'api', { window: 21 }, () => new Thing(2));
    expect(a.closed).toBe(false); // still serving in-flight requests until the new config is live
    await r.sweep();
    expect(b).not.toBe(a);
    expect(a.closed).toBe(true);
    expect(r.find('breaker', 'api')).toBe(b);
  });

  it('closes instances no longer named, keeps kinds apart', async () => {
    const r = new StateRegistry();
    r.begin();
    const cache = r.get('cache', 'x', {}, () => new Thing('c'));
    const limit = r.get('rate_limit', 'x', {}, () => new Thing('l'));
    await r.sweep();
    r.begin();
    r.get('rate_limit', 'x', {}, () => new Thing('l2'));
    await r.sweep();
    expect(cache.closed).toBe(true);
    expect(limit.closed).toBe(false);
    expect(r.find('cache', 'x')).toBeUndefined();
    await r.closeAll();
    expect(limit.closed).toBe(true);
  });
});
