import { describe, it, expect } from 'vitest';
import { parsePolicyText } from '../../src/config/load.js';
import { compile } from '../../src/runtime/compile.js';
import { StateRegistry } from '../../src/runtime/registry.js';
import { Metrics } from '../../src/observability/metrics.js';
import { createLogger } from '../../src/observability/log.js';
import { methodSet } from '../../src/routing/methods.js';

describe('route methods', () => {
  it('GET implies HEAD; other lists stay exact', () => {
    expect([...methodSet(['GET'])!].sort()).toEqual(['GET', 'HEAD']);
    expect([...methodSet(['POST'])!]).toEqual(['POST']);
    expect(methodSet(null)).toBeNull();
  });

  it('a HEAD request matches the GET route first, not a later catch-all', async () => {
    const r = parsePolicyText(
      `version: 1
upstream: { url: http://127.0.0.1:1 }
rate_limits: { strict: { key: ip, limits: [1/1m] } }
routes:
  - match: { path: /api/*, methods: [GET] }
    rate_limit: strict
  - match: { path: /** }
    rate_limit: off
`,
      'inline.yaml',
    );
    if (!r.ok) throw new Error(r.errors.join('\n'));
    const registry = new StateRegistry();
    registry.begin();
    const c = compile(r.policy, { registry, metrics: new Metrics({ defaultMetrics: false }), logger: createLogger('silent') });
    expect(c.match('HEAD', '/api/x').label).toBe('/api/*');
    expect(c.match('POST', '/api/x').label).toBe('/**');
    await registry.closeAll();
  });
});
