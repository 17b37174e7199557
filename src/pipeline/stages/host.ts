import type { Stage } from '../types.js';
import { problem } from '../problem.js';

/**
 * `server.allowed_hosts` as a predicate: an entry without a port allows the
 * host on any port; with a port, that port only. An empty list allows any.
 */
export function allowedHostMatcher(allowed: readonly string[]): (host: string) => boolean {
  if (allowed.length === 0) return () => true;
  const names = new Set(allowed.map((h) => h.toLowerCase()));
  return (host) => names.has(host) || names.has(stripPort(host));
}

/** Requests for any other Host get 421. Built only when the list is non-empty. */
export function hostCheck(allowed: readonly string[]): Stage {
  const ok = allowedHostMatcher(allowed);
  return (next) => (x) => {
    if (ok(x.host)) return next(x);
    return Promise.resolve(problem(x, 'host_not_allowed', `Host "${x.host.slice(0, 100)}" is not served here`));
  };
}

function stripPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}
