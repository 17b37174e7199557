import * as z from 'zod';
import { policyName } from './fields.js';
import { describeValue } from './messages.js';
import { breaker, cache, rateLimit } from './schema-policies.js';
import { normalizeRoute, route } from './schema-routes.js';
import { cors, logging, server, store, upstream } from './schema-server.js';
import { didYouMean } from './suggest.js';

/**
 * The policy file (SPEC §3): the only definition of its shape. It gives the
 * TypeScript type (`Policy`), the validation (with `load.ts` adding the YAML
 * positions) and `policies/schema.json` (`json-schema.ts`). Strict objects
 * everywhere: an unknown key is an error, never silently ignored.
 */

export type { RateLimitKey } from './schema-policies.js';

const REFS = [
  { field: 'rate_limit', section: 'rate_limits', what: 'rate limit' },
  { field: 'breaker', section: 'breakers', what: 'breaker' },
  { field: 'cache', section: 'caches', what: 'cache' },
] as const;

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Every name a route uses must be defined. Runs even when other parts of the
 * file are invalid (so all errors come out together), hence the defensive reads.
 */
function checkReferences(policy: unknown, ctx: z.core.$RefinementCtx): void {
  if (!isMapping(policy) || !Array.isArray(policy.routes)) return;
  policy.routes.forEach((r: unknown, i) => {
    if (!isMapping(r)) return;
    for (const { field, section, what } of REFS) {
      const defined = policy[section];
      if (!isMapping(defined)) continue;
      const value = r[field];
      const refs: Array<[unknown, (string | number)[]]> = Array.isArray(value)
        ? value.map((v, j) => [v, ['routes', i, field, j]])
        : [[value, ['routes', i, field]]];
      for (const [name, path] of refs) {
        if (typeof name !== 'string' || name === 'off' || name in defined) continue;
        const names = Object.keys(defined);
        const hint = didYouMean(name, names)
          || (names.length ? ` (defined: ${names.join(', ')})` : ` (${section} defines none)`);
        ctx.addIssue({ code: 'custom', path, message: `unknown ${what} "${name}"${hint}` });
      }
    }
  });
}

export const PolicySchema = z.strictObject({
  version: z.literal(1, {
    error: (iss) => (iss.input === undefined ? 'required (write version: 1)' : `unsupported version ${describeValue(iss.input)}: expected 1`),
  }).describe('Format version of this file. Required: 1.'),
  server: server.prefault({}).describe('The proxy\'s own listeners, limits and timeouts.'),
  upstream: upstream.describe('The app the proxy forwards to. Required.'),
  store: store.prefault({}).describe('Where shared state (rate-limit counters, cached responses) lives. Default: memory.'),
  logging: logging.prefault({}).describe('Log level and the slow-request threshold.'),
  cors: cors.nullable().prefault(null).describe('CORS answered by the proxy. Default: left to the app.'),
  rate_limits: z.record(policyName(), rateLimit).prefault({}).describe('Named rate limits, referenced by routes.'),
  breakers: z.record(policyName(), breaker).prefault({}).describe('Named circuit breakers, referenced by routes.'),
  caches: z.record(policyName(), cache).prefault({}).describe('Named response caches, referenced by routes.'),
  routes: z.array(route).prefault([])
    .describe('First match wins; a request no route matches is forwarded with no policy.'),
})
  .superRefine(checkReferences, { when: () => true })
  .transform((p) => ({ ...p, routes: p.routes.map(normalizeRoute) }));

/** The validated policy file: units are numbers, names are checked, defaults filled in. */
export type Policy = z.output<typeof PolicySchema>;
/** What an operator may write (durations as strings, optional fields omitted). */
export type PolicyInput = z.input<typeof PolicySchema>;
export type Route = Policy['routes'][number];
export type RateLimitPolicy = Policy['rate_limits'][string];
export type BreakerPolicy = Policy['breakers'][string];
export type CachePolicy = Policy['caches'][string];
