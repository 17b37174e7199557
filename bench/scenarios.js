// The rows of the bench: one policy file per sono-guard process, what each
// row is compared with, and what its answers must look like for the row to
// mean what its name says.

/** The default policy's limits and breaker (policies/default.yaml), so "default" means what `npm start` runs. */
const DEFAULT_BREAKER = `  assessment-api: { failure_rate: 50%, window: 20, min_calls: 10, consecutive_failures: 5, slow_call: 5s, open_for: 30s, half_open_calls: 3 }`;
/** Same shape as the default per-ip limit (two windows), with counts the bench never reaches. */
const UNREACHED = `  per-ip: { key: ip, limits: [1000000000/1m, 1000000000/1h] }`;
const ASSESSMENTS = `{ path: /api/v1/assessments/*, methods: [GET, HEAD] }`;
const CACHE = `  assessments: { ttl: 1h, max_bytes: 64mb, vary: [accept], stale_while_revalidate: 30s, stale_if_error: 10m }`;

/** Policy bodies (everything after `server`/`upstream`, which the harness writes). */
export const POLICIES = {
  passthrough: `routes:
  - match: { path: /** }
    rate_limit: off
`,
  default: `rate_limits:
${UNREACHED}
breakers:
${DEFAULT_BREAKER}
routes:
  - match: ${ASSESSMENTS}
    rate_limit: per-ip
    breaker: assessment-api
  - match: { path: /** }
    rate_limit: per-ip
    breaker: assessment-api
`,
  hit: `rate_limits:
${UNREACHED}
breakers:
${DEFAULT_BREAKER}
caches:
${CACHE}
routes:
  - match: ${ASSESSMENTS}
    rate_limit: per-ip
    breaker: assessment-api
    cache: assessments
`,
  // The default policy's own per-ip limit (60/1m, 1000/1h): after 60 requests
  // the bench's one client IP is rejected, except the one request a second the
  // minute window gives back.
  limited: `rate_limits:
  per-ip: { key: ip, limits: [60/1m, 1000/1h] }
breakers:
${DEFAULT_BREAKER}
routes:
  - match: ${ASSESSMENTS}
    rate_limit: per-ip
    breaker: assessment-api
`,
  // Held OPEN through the admin API before the rows run.
  open: `rate_limits:
${UNREACHED}
breakers:
${DEFAULT_BREAKER}
routes:
  - match: ${ASSESSMENTS}
    rate_limit: per-ip
    breaker: assessment-api
`,
};

/**
 * Rows. `proc`: which process's CPU is the row's (a key of the processes the
 * harness starts). `vs`: the row the CPU ratio is taken against. `nginx`: the
 * NGINX row that does the same job. `expect`: the status nearly every answer
 * must have; `upstream`: whether requests must reach the app ('all') or not
 * ('none'). `probe`: what one answer, fetched after the warm-up, must carry (a
 * header value, or a problem+json `code`). Rows whose process is missing
 * (NGINX not installed, Redis down) are skipped.
 */
export const ROWS = [
  { id: 'direct', name: 'app directly (node:http)', proc: 'app', vs: null, expect: 200, upstream: 'all', kind: 'app' },
  { id: 'bare', name: 'bare undici forwarder', proc: 'bare', vs: null, expect: 200, upstream: 'all', kind: 'forwarded' },
  { id: 'nginx', name: 'NGINX keep-alive proxy', proc: 'nginx', port: 'plain', vs: 'bare', expect: 200, upstream: 'all', kind: 'forwarded' },
  { id: 'passthrough', name: 'sono-guard pass-through', proc: 'passthrough', vs: 'bare', nginx: 'nginx', expect: 200, upstream: 'all', kind: 'forwarded' },
  { id: 'default', name: 'sono-guard default policies', proc: 'default', vs: 'bare', nginx: 'nginx', expect: 200, upstream: 'all', kind: 'forwarded' },
  { id: 'redis-limit', name: 'sono-guard default, Redis rate limit', proc: 'redisDefault', vs: 'default', nginx: 'nginx', expect: 200, upstream: 'all', kind: 'forwarded' },
  { id: 'nginx-hit', name: 'NGINX proxy_cache HIT', proc: 'nginx', port: 'cache', vs: 'nginx', expect: 200, upstream: 'none', kind: 'hit', probe: { header: 'x-cache-status', value: 'HIT' } },
  { id: 'hit', name: 'sono-guard cache HIT (memory)', proc: 'hit', vs: 'default', nginx: 'nginx-hit', expect: 200, upstream: 'none', kind: 'hit', probe: { header: 'x-cache', value: 'HIT' } },
  { id: 'redis-hit', name: 'sono-guard cache HIT (Redis)', proc: 'redisHit', vs: 'hit', nginx: 'nginx-hit', expect: 200, upstream: 'none', kind: 'hit', probe: { header: 'x-cache', value: 'HIT' } },
  { id: 'redis-hit-rt', name: 'sono-guard cache HIT (Redis, near_ttl 0)', proc: 'redisHitRoundTrip', vs: 'hit', nginx: 'nginx-hit', expect: 200, upstream: 'none', kind: 'hit', probe: { header: 'x-cache', value: 'HIT' } },
  { id: 'nginx-429', name: 'NGINX limit_req 429', proc: 'nginx', port: 'limit', vs: 'nginx', expect: 429, upstream: 'none', kind: 'rejection' },
  { id: '429', name: 'sono-guard 429 rejection', proc: 'limited', vs: 'default', nginx: 'nginx-429', expect: 429, upstream: 'none', kind: 'rejection', probe: { code: 'rate_limited' } },
  { id: 'open', name: 'sono-guard breaker OPEN (503)', proc: 'open', vs: 'default', nginx: 'nginx-429', expect: 503, upstream: 'none', kind: 'rejection', probe: { code: 'circuit_open' } },
];

/** sono-guard processes: policy body and store. */
export const PROXIES = {
  passthrough: { policy: POLICIES.passthrough, store: 'memory' },
  default: { policy: POLICIES.default, store: 'memory' },
  hit: { policy: POLICIES.hit, store: 'memory' },
  limited: { policy: POLICIES.limited, store: 'memory' },
  open: { policy: POLICIES.open, store: 'memory' },
  redisDefault: { policy: POLICIES.default, store: 'redis' },
  redisHit: { policy: POLICIES.hit, store: 'redis' },
  // Every hit a Redis GET: what a replica pays when it holds no near copy.
  redisHitRoundTrip: { policy: POLICIES.hit.replace('stale_if_error: 10m }', 'stale_if_error: 10m, near_ttl: 0 }'), store: 'redis' },
};

/**
 * Share of answers that must have the expected status; share of requests that
 * must (or may) reach the app; CPUs other processes may keep busy before a row
 * is marked noisy.
 */
export const SANITY = { statusShare: 0.99, upstreamShareNone: 0.01, upstreamShareAll: 0.99, otherLoad: 0.25 };

/** Targets of the issue, as checks on the medians. `ratio(a, b)`: median of per-round CPU ratios. */
export const TARGETS = [
  { what: 'pass-through CPU vs bare forwarder', a: 'passthrough', b: 'bare', max: 1.3 },
  { what: 'default policies CPU vs bare forwarder', a: 'default', b: 'bare', max: 1.4 },
  { what: 'cache HIT (memory) CPU vs forwarded', a: 'hit', b: 'default', max: 0.5 },
  { what: '429 rejection CPU vs forwarded', a: '429', b: 'default', max: 0.4 },
  { what: 'breaker OPEN CPU vs forwarded', a: 'open', b: 'default', max: 0.4 },
  { what: 'Redis rate limit CPU vs memory', a: 'redis-limit', b: 'default', max: 1.5 },
  { what: 'Redis cache HIT CPU vs memory', a: 'redis-hit', b: 'hit', max: 1.5 },
  { what: 'stretch: default policies CPU vs NGINX', a: 'default', b: 'nginx', max: 2 },
];
