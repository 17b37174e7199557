import { describe, expect, it } from 'vitest';
import { parsePolicyText } from '../../src/config/load.js';

// Every case: a policy file in, the exact `FILE:LINE:COL path: message` lines out.
// BASE is lines 1-2, so a snippet appended to it starts on line 3.
const BASE = 'version: 1\nupstream: { url: http://127.0.0.1:8000 }\n';

function errorsOf(text: string, env: Record<string, string> = {}): string[] {
  const r = parsePolicyText(text, 't.yaml', env);
  return r.ok ? [] : r.errors;
}

describe('policy file errors', () => {
  it.each<[string, string, string[]]>([
    ['unknown top-level key, with did-you-mean', BASE + 'rate_limit:\n  x: 1\n',
      ['t.yaml:3:1 rate_limit: unknown key "rate_limit" (did you mean "rate_limits"?)']],
    ['unknown nested key, with did-you-mean', BASE + 'server:\n  listn: 0.0.0.0:8080\n',
      ['t.yaml:4:3 server.listn: unknown key "listn" (did you mean "listen"?)']],
    ['misspelt required key: one error, not two', BASE + 'rate_limits:\n  per-ip: { key: ip, limts: 60/1m }\n',
      ['t.yaml:4:22 rate_limits.per-ip.limts: unknown key "limts" (did you mean "limits"?)']],
    ['missing required key', BASE + 'rate_limits:\n  per-ip: { key: ip }\n',
      ['t.yaml:4:11 rate_limits.per-ip.limits: required']],
    ['unknown key with nothing close', BASE + 'logging:\n  colour: true\n',
      ['t.yaml:4:3 logging.colour: unknown key "colour"']],
    ['bad duration', BASE + 'logging: { slow_request: 1.5s }\n',
      ['t.yaml:3:26 logging.slow_request: bad duration "1.5s": expected a whole number with a unit ms, s, m, h or d (e.g. "250ms", "5s", "1m"), or 0']],
    ['duration without a unit', BASE + 'logging: { slow_request: 5 }\n',
      ['t.yaml:3:26 logging.slow_request: duration 5 has no unit: expected a whole number with a unit ms, s, m, h or d (e.g. "250ms", "5s", "1m"), or 0']],
    ['duration too long for a timer', BASE + 'logging: { slow_request: 30d }\n',
      ['t.yaml:3:26 logging.slow_request: duration "30d" is too long: at most 24d']],
    ['bad size', BASE + 'server:\n  max_body_bytes: 10mib\n',
      ['t.yaml:4:19 server.max_body_bytes: bad size "10mib": unknown unit "mib"; expected a whole number with a unit b, kb, mb or gb (e.g. "512kb", "10mb"), or 0']],
    ['bad limit', BASE + 'rate_limits:\n  per-ip: { key: ip, limits: [60/min] }\n',
      ['t.yaml:4:31 rate_limits.per-ip.limits.0: bad limit "60/min": expected COUNT/DURATION (e.g. "60/1m", "20/1s", "1000/1h")']],
    ['bad limit written alone', BASE + 'rate_limits:\n  per-ip: { key: ip, limits: 0/1m }\n',
      ['t.yaml:4:30 rate_limits.per-ip.limits: bad limit "0/1m": the count must be at least 1']],
    ['bad rate-limit key', BASE + 'rate_limits:\n  k: { key: ipp, limits: 1/1s }\n',
      ['t.yaml:4:13 rate_limits.k.key: bad key "ipp": expected ip, header:NAME, route, ip+route (did you mean "ip"?)']],
    ['bad percent', BASE + 'breakers:\n  api: { failure_rate: 50 }\n',
      ['t.yaml:4:24 breakers.api.failure_rate: bad percentage 50: expected a percentage (e.g. "50%") or a number from 0 to 1 (did you mean "50%"?)']],
    ['percent above 100%', BASE + 'breakers:\n  api: { failure_rate: 150% }\n',
      ['t.yaml:4:24 breakers.api.failure_rate: bad percentage "150%": at most 100%']],
    ['bad path pattern', BASE + 'routes:\n  - match: { path: api/** }\n',
      ['t.yaml:4:20 routes.0.match.path: path pattern "api/**" must start with "/"']],
    ['"**" not last', BASE + 'routes:\n  - match: { path: /a/**/b }\n',
      ['t.yaml:4:20 routes.0.match.path: path pattern "/a/**/b": "**" may only be the last segment']],
    ['undefined rate limit, with did-you-mean',
      BASE + 'rate_limits:\n  per-ip: { key: ip, limits: 60/1m }\nroutes:\n  - match: { path: /** }\n    rate_limit: per_ip\n',
      ['t.yaml:7:17 routes.0.rate_limit: unknown rate limit "per_ip" (did you mean "per-ip"?)']],
    ['undefined rate limit in a list',
      BASE + 'rate_limits:\n  per-ip: { key: ip, limits: 60/1m }\nroutes:\n  - match: { path: /** }\n    rate_limit: [per-ip, per-key]\n',
      ['t.yaml:7:26 routes.0.rate_limit.1: unknown rate limit "per-key" (defined: per-ip)']],
    ['undefined breaker, none defined', BASE + 'routes:\n  - match: { path: /** }\n    breaker: api\n',
      ['t.yaml:5:14 routes.0.breaker: unknown breaker "api" (breakers defines none)']],
    ['undefined cache, with did-you-mean', BASE + 'caches:\n  assessments: {}\nroutes:\n  - match: { path: /a/* }\n    cache: assesments\n',
      ['t.yaml:7:12 routes.0.cache: unknown cache "assesments" (did you mean "assessments"?)']],
    ['redis without url', BASE + 'store: { kind: redis }\n',
      ['t.yaml:3:8 store.url: required when kind is redis']],
    ['non-loopback admin without token', BASE + 'server:\n  admin: 0.0.0.0:9901\n',
      ['t.yaml:4:10 server.admin: admin listens on 0.0.0.0, which is not loopback: set admin_token (e.g. admin_token: "${SONO_GUARD_ADMIN_TOKEN}")']],
    ['enum value, with did-you-mean', BASE + 'store: { kind: mem }\n',
      ['t.yaml:3:16 store.kind: "mem" is not one of memory, redis (did you mean "memory"?)']],
    ['missing required section', 'version: 1\n',
      ['t.yaml:1:1 upstream: required']],
    ['unsupported version', 'version: 2\nupstream: { url: http://127.0.0.1:8000 }\n',
      ['t.yaml:1:10 version: unsupported version 2: expected 1']],
    ['upstream URL with a path', 'version: 1\nupstream:\n  url: http://app:8000/api\n',
      ['t.yaml:3:8 upstream.url: the URL must not have a path, query or fragment']],
    ['bad policy name', BASE + 'caches:\n  my cache: {}\n',
      ['t.yaml:4:3 caches.my cache: policy names use letters, digits, ".", "_" and "-", and start with a letter or digit']],
    ['wrong type', BASE + 'routes: { a: 1 }\n',
      ['t.yaml:3:9 routes: expected a list, got a mapping']],
    ['empty value', BASE + 'server:\n  listen:\n',
      ['t.yaml:4:10 server.listen: expected a string, got an empty value']],
    ['cache on a route without GET', BASE + 'caches:\n  c: {}\nroutes:\n  - match: { path: /a, methods: [post] }\n    cache: c\n',
      ['t.yaml:7:12 routes.0.cache: caches only serve GET and HEAD, and this route matches only POST']],
    ['undefined env var', 'version: 1\nupstream: { url: "${UPSTREAM_URL}" }\n',
      ['t.yaml:2:19: environment variable UPSTREAM_URL is not set (write ${UPSTREAM_URL:-} to allow it unset)']],
    ['YAML syntax error', BASE + 'server:\n  listen: [1, 2\n',
      ['t.yaml:5:1: Flow sequence in block collection must be sufficiently indented and end with a ]']],
    ['duplicate key', BASE + 'server: {}\nserver: {}\n',
      ['t.yaml:4:1: Map keys must be unique']],
    ['two documents', BASE + '---\nversion: 1\n',
      ['t.yaml:3:1: a policy file is one YAML document: remove the second "---" and what follows, or merge it']],
    ['empty file', '# nothing here\n',
      ['t.yaml:1:1: the policy file is empty: it needs at least "version: 1" and "upstream: { url: ... }"']],
    ['not a mapping', '- version: 1\n',
      ['t.yaml:1:1: expected a mapping of sections (version, server, upstream, ...), got a list']],
  ])('%s', (_name, text, expected) => {
    expect(errorsOf(text)).toEqual(expected);
  });

  it('reports every error at once, in file order', () => {
    const text = [
      'version: 1',
      'server:',
      '  listen: 0.0.0.0:80800',
      '  header_timeot: 10s',
      'upstream: { url: http://127.0.0.1:8000, timeout: 30 }',
      'store: { kind: redis }',
      'routes:',
      '  - match: { path: /api/* }',
      '    rate_limit: per-ip',
      '',
    ].join('\n');
    expect(errorsOf(text)).toEqual([
      't.yaml:3:11 server.listen: bad address "0.0.0.0:80800": port 80800 is above 65535',
      't.yaml:4:3 server.header_timeot: unknown key "header_timeot" (did you mean "header_timeout"?)',
      't.yaml:5:50 upstream.timeout: duration 30 has no unit: expected a whole number with a unit ms, s, m, h or d (e.g. "250ms", "5s", "1m"), or 0',
      't.yaml:6:8 store.url: required when kind is redis',
      't.yaml:9:17 routes.0.rate_limit: unknown rate limit "per-ip" (rate_limits defines none)',
    ]);
  });

  it('points into the file as written when a substituted value changes the line length', () => {
    const text = BASE + 'server: { admin_token: "${TOKEN}", listen: nowhere }\n';
    expect(errorsOf(text, { TOKEN: 'x'.repeat(50) })).toEqual([
      't.yaml:3:44 server.listen: bad address "nowhere": expected HOST:PORT such as "0.0.0.0:8080", "127.0.0.1:9901" or "[::1]:9901"',
    ]);
  });

  it('never echoes a secret it could not parse', () => {
    const text = 'version: 1\nupstream: { url: http://127.0.0.1:8000 }\nstore: { kind: redis, url: "${URL}" }\n';
    const errors = errorsOf(text, { URL: 'http://:hunter2@redis:6379' });
    expect(errors).toEqual([
      't.yaml:3:28 store.url: expected a redis:// or rediss:// URL (special characters in the password must be percent-encoded)',
    ]);
  });

  it('reads a missing file as an error, not an exception', async () => {
    const { loadPolicyFile } = await import('../../src/config/load.js');
    const r = loadPolicyFile('/nonexistent/policy.yaml');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatch(/^\/nonexistent\/policy\.yaml:1:1: cannot read the policy file: ENOENT/);
  });
});
