import { describe, it, expect } from 'vitest';
import { closest, editDistance } from '../../src/config/suggest.js';

describe('did-you-mean', () => {
  it.each([
    ['cahce', 'cache', 1],
    ['breaker', 'braeker', 1],
    ['per_ip', 'per-ip', 1],
    ['rate_limit', 'rate_limits', 1],
    ['abc', 'xyz', 3],
  ])('%s → %s is %i edits', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
  });

  it('suggests the closest known key for a swapped-letter typo', () => {
    expect(closest('cahce', ['cache', 'breaker', 'rate_limit', 'invalidates'])).toBe('cache');
    expect(closest('zzzz', ['cache', 'breaker'])).toBeNull();
  });
});
