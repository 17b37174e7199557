import { isIP } from 'node:net';
import * as z from 'zod';
import { describeValue } from './messages.js';
import { pathPatternError } from './patterns.js';
import {
  DURATION_PATTERN, LIMIT_PATTERN, PERCENT_PATTERN, SIZE_PATTERN,
  formatDuration, parseDuration, parseLimit, parsePercent, parseSize,
} from './units.js';

/**
 * Field types shared by the sections of the policy file. Each one accepts what
 * an operator writes (strings with units, `host:port`, ...) and outputs the
 * value the proxy uses (milliseconds, bytes, `{ host, port }`, ...).
 */

/**
 * Run a cross-field check when the fields it reads are valid, even if other
 * fields are not, so that every error comes out in one go.
 */
export function whenValid(...fields: string[]) {
  return { when: (p: z.core.ParsePayload) => !p.issues.some((i) => fields.includes(String(i.path?.[0]))) };
}

/** Longest duration a timer can take: Node fires longer `setTimeout`s at once. */
export const TIMER_MAX = 24 * 86_400_000;

function attempt<T>(ctx: z.core.$RefinementCtx, input: unknown, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message, input });
    return z.NEVER;
  }
}

/** `"5s"` → 5000. Capped at `max` (24 days by default: longer would break timers). */
export function duration(max: number = TIMER_MAX) {
  return z
    .union([z.string().meta({ pattern: DURATION_PATTERN }), z.number().meta({ const: 0 })], {
      error: (iss) => `expected a duration such as "250ms", "5s", "1m", got ${describeValue(iss.input)}`,
    })
    .transform((v, ctx) => attempt(ctx, v, () => {
      const ms = parseDuration(v);
      if (ms > max) throw new RangeError(`duration ${JSON.stringify(v)} is too long: at most ${formatDuration(max)}`);
      return ms;
    }));
}

/** `"10mb"` → 10485760. */
export function size() {
  return z
    .union([z.string().meta({ pattern: SIZE_PATTERN }), z.number().meta({ const: 0 })], {
      error: (iss) => `expected a size such as "512kb", "10mb", got ${describeValue(iss.input)}`,
    })
    .transform((v, ctx) => attempt(ctx, v, () => parseSize(v)));
}

/** `"50%"` or `0.5` → 0.5. */
export function percent() {
  return z
    .union([z.string().meta({ pattern: PERCENT_PATTERN }), z.number().meta({ minimum: 0, maximum: 1 })], {
      error: (iss) => `expected a percentage such as "50%", got ${describeValue(iss.input)}`,
    })
    .transform((v, ctx) => attempt(ctx, v, () => parsePercent(v)));
}

/** `"60/1m"` → `{ count: 60, window: 60000, text: "60/1m" }`. */
export function limit() {
  return z
    .string({ error: (iss) => `expected a limit such as "60/1m", got ${describeValue(iss.input)}` })
    .meta({ pattern: LIMIT_PATTERN })
    .transform((v, ctx) => attempt(ctx, v, () => parseLimit(v)));
}

const HOSTNAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/** `"0.0.0.0:8080"`, `"[::1]:9901"`, `"localhost:0"` → `{ host, port }` (IPv6 without brackets). */
export function hostPort() {
  return z.string().transform((v, ctx) => attempt(ctx, v, () => {
    const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d{1,5})$/.exec(v.trim());
    const hint = 'expected HOST:PORT such as "0.0.0.0:8080", "127.0.0.1:9901" or "[::1]:9901"';
    if (!m) throw new RangeError(`bad address ${JSON.stringify(v)}: ${hint}`);
    const host = (m[1] ?? m[2]!).toLowerCase();
    const port = Number(m[3]);
    const validHost = m[1] !== undefined ? isIP(host) === 6 : isIP(host) === 4 || HOSTNAME.test(host);
    if (!validHost) throw new RangeError(`bad address ${JSON.stringify(v)}: "${host}" is not an IP address or host name`);
    if (port > 65535) throw new RangeError(`bad address ${JSON.stringify(v)}: port ${port} is above 65535`);
    return { host, port };
  }));
}

/** Whether a listen host only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  const v4 = host.startsWith('::ffff:') ? host.slice(7) : host;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** `"10.0.0.0/8"`, `"192.168.1.10"`, `"fd00::/8"` (lower-cased). */
export function ipOrCidr() {
  return z.string().transform((v, ctx) => attempt(ctx, v, () => {
    const text = v.trim().toLowerCase();
    const [addr = '', prefix, extra] = text.split('/');
    const family = isIP(addr);
    const bits = family === 4 ? 32 : 128;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits);
    if (family === 0 || !prefixOk || extra !== undefined) {
      throw new RangeError(`bad address ${JSON.stringify(v)}: expected an IP address or CIDR such as "10.0.0.0/8" or "fd00::/8"`);
    }
    return text;
  }));
}

/** A Host header value to accept: `api.example.com`, `api.example.com:8443`, `[::1]:8080`. */
export function hostName() {
  return z.string().transform((v, ctx) => attempt(ctx, v, () => {
    const text = v.trim().toLowerCase();
    const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(text);
    const ok = m !== null && (m[1] !== undefined ? isIP(m[1]) === 6 : isIP(m[2]!) === 4 || HOSTNAME.test(m[2]!));
    if (!ok) throw new RangeError(`bad host ${JSON.stringify(v)}: expected a host name with an optional port, such as "api.example.com"`);
    return text;
  }));
}

/** An http(s) URL with nothing after the authority but `/`; output is its origin. */
export function originUrl() {
  return z.string().transform((v, ctx) => attempt(ctx, v, () => {
    let url: URL;
    try {
      url = new URL(v.trim());
    } catch {
      throw new RangeError('not a valid URL: expected something like "http://127.0.0.1:8000"');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RangeError(`unsupported scheme "${url.protocol}": expected http or https`);
    if (url.username || url.password) throw new RangeError('credentials in the URL are not supported');
    if (url.pathname !== '/' || url.search || url.hash) throw new RangeError('the URL must not have a path, query or fragment');
    return url.origin;
  }));
}

/** A policy name, used in routes, metric labels and admin URLs. */
export function policyName() {
  return z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
    error: 'policy names use letters, digits, ".", "_" and "-", and start with a letter or digit',
  }).refine((v) => v !== 'off', { error: '"off" is reserved (it switches a route\'s rate limiting off)' });
}

/** An HTTP header name, lower-cased. */
export function headerName() {
  return z.string()
    .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: (iss) => `bad header name ${describeValue(iss.input)}` })
    .transform((v) => v.toLowerCase());
}

/** An HTTP method, upper-cased. */
export function method() {
  return z.string()
    .regex(/^[A-Za-z]+$/, { error: (iss) => `bad method ${describeValue(iss.input)}: expected a word such as GET or POST` })
    .transform((v) => v.toUpperCase());
}

/** A route path pattern: `/exact`, `/one/*`, `/rest/**`. */
export function pathPattern() {
  return z.string().superRefine((v, ctx) => {
    const err = pathPatternError(v);
    if (err) ctx.addIssue({ code: 'custom', message: err, input: v });
  });
}

/** An integer within [min, max]. */
export function int(min: number, max = Number.MAX_SAFE_INTEGER) {
  return z.int().min(min).max(max);
}
