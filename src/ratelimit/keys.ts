import { createHash } from 'node:crypto';
import type { Exchange } from '../pipeline/exchange.js';
import type { KeySpec } from './types.js';

/** Longest header value used as a key verbatim; longer ones are hashed (bounded memory, no collisions to exploit). */
const MAX_HEADER_KEY = 128;

/**
 * Compile a policy's `key` into a function of the exchange (SPEC §3):
 *  ip        the client IP (already resolved from trusted X-Forwarded-For);
 *  header:N  the header's value (`h:` + value, or `h#` + SHA-256 when long);
 *            requests without it fall back to the IP key;
 *  route     the route pattern: one budget shared by every client of the route;
 *  ip+route  the client IP within the route.
 * Prefixes keep the kinds apart (a header value can never equal an IP key).
 */
export function compileKey(spec: KeySpec, route: string): (x: Exchange) => string {
  switch (spec.kind) {
    case 'ip':
      return (x) => x.clientIp;
    case 'route': {
      const k = `r:${route}`;
      return () => k;
    }
    case 'ip+route': {
      const suffix = ` ${route}`;
      return (x) => x.clientIp + suffix;
    }
    case 'header': {
      const name = spec.name.toLowerCase();
      return (x) => {
        const raw = x.req.headers[name];
        const v = Array.isArray(raw) ? raw.join(', ') : raw;
        if (v === undefined || v.length === 0) return x.clientIp;
        if (v.length <= MAX_HEADER_KEY) return `h:${v}`;
        return `h#${createHash('sha256').update(v).digest('base64url')}`;
      };
    }
  }
}
