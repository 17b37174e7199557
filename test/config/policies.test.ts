import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderPolicyJsonSchema } from '../../src/config/json-schema.js';
import { loadPolicyFile, parsePolicyText } from '../../src/config/load.js';
import type { Policy } from '../../src/config/schema.js';

function load(text: string): Policy {
  const r = parsePolicyText(text, 't.yaml', {});
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.policy;
}

const MINIMAL = 'version: 1\nupstream: { url: http://127.0.0.1:8000 }\n';

describe('example policies', () => {
  it('policies/default.yaml validates with no environment', () => {
    const r = loadPolicyFile('policies/default.yaml', {});
    expect(r.ok ? [] : r.errors).toEqual([]);
    if (!r.ok) return;
    expect(r.policy.store.kind).toBe('memory');
    expect(r.policy.server.listen).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(r.policy.server.admin).toEqual({ host: '127.0.0.1', port: 9901 });
    expect(r.policy.server.admin_token).toBeNull();
    expect(r.policy.upstream.url).toBe('http://127.0.0.1:8000');
    expect(r.policy.rate_limits['per-ip']!.limits.map((l) => l.text)).toEqual(['60/1m', '1000/1h']);
    expect(r.policy.rate_limits['per-api-key']!.key).toEqual({ kind: 'header', name: 'x-api-key' });
    expect(r.policy.routes.map((x) => x.match.path)).toEqual([
      '/api/v1/assessments/*', '/api/v1/assessments', '/docs/**', '/openapi.json', '/**',
    ]);
  });

  it('policies/production.yaml validates with its variables set', () => {
    const env = { REDIS_PASSWORD: 'p4ss', SONO_GUARD_ADMIN_TOKEN: '0123456789' };
    const r = loadPolicyFile('policies/production.yaml', env);
    expect(r.ok ? [] : r.errors).toEqual([]);
    if (!r.ok) return;
    expect(r.policy.store).toMatchObject({ kind: 'redis', url: 'redis://:p4ss@redis:6379/0', on_error: 'local' });
    expect(r.policy.server.admin_token).toBe('0123456789'); // quoted in the file: stays a string
    expect(r.policy.server.trusted_proxies).toContain('10.0.0.0/8');
    expect(r.policy.cors?.allow_headers).toContain('x-request-id');
  });

  it('policies/production.yaml names the variables it needs when they are missing', () => {
    const r = loadPolicyFile('policies/production.yaml', {});
    expect(r.ok ? [] : r.errors.map((e) => e.replace(/^[^ ]+ /, ''))).toEqual([
      'environment variable SONO_GUARD_ADMIN_TOKEN is not set (write ${SONO_GUARD_ADMIN_TOKEN:-} to allow it unset)',
      'environment variable REDIS_PASSWORD is not set (write ${REDIS_PASSWORD:-} to allow it unset)',
    ]);
  });
});

describe('parsed policy', () => {
  it('fills every default', () => {
    expect(load(MINIMAL)).toEqual({
      version: 1,
      server: {
        listen: { host: '0.0.0.0', port: 8080 }, admin: { host: '127.0.0.1', port: 9901 }, admin_token: null,
        trusted_proxies: [], allowed_hosts: [], max_body_bytes: 10 * 1024 * 1024,
        header_timeout: 10_000, request_timeout: 60_000, drain_timeout: 20_000, shutdown_delay: 5_000, idle_timeout: 60_000,
        max_connections: 10_000, max_header_bytes: 16 * 1024, tls: null,
      },
      upstream: {
        url: 'http://127.0.0.1:8000', connect_timeout: 2_000, timeout: 30_000, max_connections: 128,
        health: { path: '/health', interval: 5_000, timeout: 2_000 },
      },
      store: { kind: 'memory', url: null, prefix: 'sono-guard:', on_error: 'local', timeout: 100 },
      logging: { level: 'info', slow_request: 1_000 },
      cors: null, rate_limits: {}, breakers: {}, caches: {}, routes: [],
    });
  });

  it('fills the defaults of named policies, routes and optional sections', () => {
    const p = load(MINIMAL + [
      'server: { tls: { cert: c.pem, key: k.pem, hsts: {} } }',
      'cors: { allow_origins: ["*"] }',
      'rate_limits: { r: { key: ip, limits: 10/1s } }',
      'breakers: { b: {} }',
      'caches: { c: { max_bytes: 4mb } }',
      'routes:',
      '  - match: { path: /a/*, methods: [get] }',
      '    rate_limit: r',
      '    retry: {}',
      '  - match: { path: /docs/** }',
      '    rate_limit: off',
      '',
    ].join('\n'));
    expect(p.server.tls).toEqual({ cert: 'c.pem', key: 'k.pem', hsts: { max_age: 365 * 86_400_000, include_subdomains: false } });
    expect(p.cors).toEqual({
      allow_origins: ['*'], allow_methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allow_headers: [], expose_headers: [], allow_credentials: false, max_age: 600_000,
    });
    expect(p.rate_limits.r).toEqual({ key: { kind: 'ip' }, limits: [{ count: 10, window: 1_000, text: '10/1s' }], mode: 'enforce', max_keys: 100_000 });
    expect(p.breakers.b).toEqual({
      failure_rate: 0.5, window: 20, min_calls: 10, consecutive_failures: 5,
      slow_call: 5_000, open_for: 30_000, half_open_calls: 3, mode: 'enforce',
    });
    expect(p.caches.c).toEqual({
      ttl: 60_000, max_ttl: null, max_bytes: 4 * 1024 * 1024, max_entry_bytes: 512 * 1024,
      vary: [], stale_while_revalidate: 0, stale_if_error: 0, near_ttl: 1000,
    });
    expect(p.routes).toEqual([
      {
        match: { path: '/a/*', methods: ['GET'] }, rate_limit: ['r'], rate_limit_off: false, breaker: null, cache: null,
        invalidates: [], timeout: null, retry: { attempts: 2, on: ['connect_error', 'reset', 502, 503], budget: 0.2 },
      },
      {
        match: { path: '/docs/**', methods: null }, rate_limit: [], rate_limit_off: true, breaker: null, cache: null,
        invalidates: [], timeout: null, retry: null,
      },
    ]);
  });

  it('caps the default max_entry_bytes at 1mb', () => {
    expect(load(MINIMAL + 'caches: { c: { max_bytes: 64mb } }\n').caches.c!.max_entry_bytes).toBe(1024 * 1024);
  });

  it('normalises what operators may write in several ways', () => {
    const p = load(MINIMAL + [
      'server: { listen: "[::1]:0", allowed_hosts: [API.Example.com:8443], trusted_proxies: [FD00::/8] }',
      'rate_limits: { k: { key: header:X-Api-Key, limits: [1/1s, 100/1h] } }',
      'caches: { c: { vary: [Accept-Encoding] } }',
      'routes: [{ match: { path: /, methods: [get, Head] }, rate_limit: [k], cache: c }]',
      '',
    ].join('\n'));
    expect(p.server.listen).toEqual({ host: '::1', port: 0 });
    expect(p.server.allowed_hosts).toEqual(['api.example.com:8443']);
    expect(p.server.trusted_proxies).toEqual(['fd00::/8']);
    expect(p.rate_limits.k!.key).toEqual({ kind: 'header', name: 'x-api-key' });
    expect(p.caches.c!.vary).toEqual(['accept-encoding']);
    expect(p.routes[0]!.match.methods).toEqual(['GET', 'HEAD']);
  });

  it('is deep-frozen', () => {
    const p = load(MINIMAL + 'rate_limits: { r: { key: ip, limits: 1/1s } }\nroutes: [{ match: { path: /** }, rate_limit: r }]\n');
    expect(Object.isFrozen(p)).toBe(true);
    expect(Object.isFrozen(p.server.listen)).toBe(true);
    expect(Object.isFrozen(p.routes)).toBe(true);
    expect(Object.isFrozen(p.routes[0]!.rate_limit)).toBe(true);
    expect(Object.isFrozen(p.rate_limits.r!.limits[0])).toBe(true);
    expect(() => { (p.routes as unknown[]).push({}); }).toThrow(TypeError);
  });

  it('returns the file as written', () => {
    const r = parsePolicyText(MINIMAL, 'x.yaml', {});
    expect(r).toMatchObject({ ok: true, file: 'x.yaml', text: MINIMAL });
  });
});

describe('policies/schema.json', () => {
  it('is what the schema generates', () => {
    const committed = readFileSync('policies/schema.json', 'utf8');
    expect(committed, 'policies/schema.json is out of date: run `npx tsx scripts/gen-schema.ts`').toBe(renderPolicyJsonSchema());
  });

  it('describes the input side: durations as strings, unknown keys refused', () => {
    const schema = JSON.parse(renderPolicyJsonSchema());
    expect(schema).toMatchObject({ $id: 'urn:sono-guard:policy:v1', type: 'object', additionalProperties: false, required: ['version', 'upstream'] });
    expect(schema.properties.server.properties.header_timeout).toMatchObject({ default: '10s', description: expect.any(String) });
  });
});
