import * as z from 'zod';
import { duration, headerName, hostName, hostPort, int, ipOrCidr, isLoopback, method, originUrl, size, whenValid } from './fields.js';

/** `server`, `upstream`, `store`, `logging` and `cors`: how the proxy itself runs. */

const hsts = z.strictObject({
  max_age: duration(10 * 365 * 86_400_000).prefault('365d').describe('Strict-Transport-Security max-age. Default 365d.'),
  include_subdomains: z.boolean().prefault(false).describe('Add includeSubDomains. Default false.'),
});

const tls = z.strictObject({
  cert: z.string().min(1).describe('PEM certificate chain file; reloaded when it changes.'),
  key: z.string().min(1).describe('PEM private key file; reloaded when it changes.'),
  hsts: hsts.nullable().prefault(null).describe('Send Strict-Transport-Security on HTTPS responses. Default: not sent.'),
});

export const server = z.strictObject({
  listen: hostPort().prefault('0.0.0.0:8080').describe('HOST:PORT of the proxy listener. Default 0.0.0.0:8080.'),
  admin: hostPort().prefault('127.0.0.1:9901')
    .describe('HOST:PORT of the admin listener (/metrics, /admin/*). Keep it off public networks. Default 127.0.0.1:9901.'),
  admin_token: z.string({ error: 'expected a string: quote the value, e.g. admin_token: "${SONO_GUARD_ADMIN_TOKEN}"' })
    .nullable().prefault(null).transform((v) => (v === '' ? null : v))
    .describe('Bearer token required on the admin listener; empty means none. Required when admin is not loopback.'),
  trusted_proxies: z.array(ipOrCidr()).prefault([])
    .describe('Peers (IPs or CIDRs) whose X-Forwarded-For is believed. Default: none.'),
  allowed_hosts: z.array(hostName()).prefault([])
    .describe('Host header values to serve (lower-cased); others get 421. Empty: any Host. Default empty.'),
  max_body_bytes: size().prefault('10mb').describe('Largest request body; larger (also streamed) bodies get 413. Default 10mb.'),
  header_timeout: duration().prefault('10s').describe('Time for a client to send request headers before 408 (slowloris). Default 10s.'),
  request_timeout: duration().prefault('60s').describe('Time for a whole request, body included. Default 60s.'),
  drain_timeout: duration().prefault('20s').describe('On SIGTERM, how long in-flight requests may finish before exit. Default 20s.'),
  shutdown_delay: duration().prefault('5s')
    .describe('On SIGTERM, readiness turns 503 and the proxy keeps serving this long before it stops accepting. Default 5s.'),
  idle_timeout: duration().prefault('60s').describe('Keep-alive idle time before a client connection is closed. Default 60s.'),
  max_connections: int(1).prefault(10_000).describe('Most client connections at once. Default 10000.'),
  max_header_bytes: size().prefault('16kb').describe('Largest request header block; larger gets 431. Default 16kb.'),
  tls: tls.nullable().prefault(null).describe('Serve HTTPS with these files. Default: plain HTTP.'),
}).superRefine((s, ctx) => {
  if (!isLoopback(s.admin.host) && s.admin_token === null) {
    ctx.addIssue({
      code: 'custom', path: ['admin'],
      message: `admin listens on ${s.admin.host}, which is not loopback: set admin_token (e.g. admin_token: "\${SONO_GUARD_ADMIN_TOKEN}")`,
    });
  }
  if (s.listen.port !== 0 && s.listen.port === s.admin.port && s.listen.host === s.admin.host) {
    ctx.addIssue({ code: 'custom', path: ['admin'], message: `admin and listen are both ${s.admin.host}:${s.admin.port}` });
  }
}, whenValid('listen', 'admin', 'admin_token'));

export const upstream = z.strictObject({
  url: originUrl().describe('The app behind the proxy: an http(s) origin such as http://127.0.0.1:8000. Required.'),
  connect_timeout: duration().prefault('2s').describe('Time to open a connection to the app before 502. Default 2s.'),
  timeout: duration().prefault('30s').describe('Time to the app\'s response headers before 504; a route may override it. Default 30s.'),
  max_connections: int(1).prefault(128).describe('Most connections to the app at once. Default 128.'),
  health: z.strictObject({
    path: z.string().startsWith('/', { error: 'must start with "/"' }).prefault('/health').describe('App path probed for health. Default /health.'),
    interval: duration().prefault('5s').describe('Time between probes. Default 5s.'),
    timeout: duration().prefault('2s').describe('A probe slower than this fails. Default 2s.'),
  }).prefault({}).describe('Active health probe of the app; it drives readiness.'),
});

export const store = z.strictObject({
  kind: z.enum(['memory', 'redis']).prefault('memory')
    .describe('Where rate-limit counters and cached responses live: memory (per process) or redis (shared). Default memory.'),
  url: z.string().nullable().prefault(null).superRefine((v, ctx) => {
    if (v === null) return;
    let ok = false;
    try {
      ok = ['redis:', 'rediss:'].includes(new URL(v).protocol);
    } catch { /* reported below */ }
    if (!ok) ctx.addIssue({ code: 'custom', message: 'expected a redis:// or rediss:// URL (special characters in the password must be percent-encoded)' });
  }).describe('redis:// or rediss:// URL; required when kind is redis. Use ${REDIS_PASSWORD} for the secret.'),
  prefix: z.string().prefault('sono-guard:').describe('Prefix of every Redis key. Default "sono-guard:".'),
  on_error: z.enum(['local', 'allow', 'deny']).prefault('local')
    .describe('When Redis fails: local (per-process limits), allow (no limit) or deny (429). Default local.'),
  timeout: duration().prefault('100ms').describe('Longest wait for one Redis operation. Default 100ms.'),
}).superRefine((s, ctx) => {
  if (s.kind === 'redis' && s.url === null) ctx.addIssue({ code: 'custom', path: ['url'], message: 'required when kind is redis' });
}, whenValid('kind', 'url'));

export const logging = z.strictObject({
  level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).prefault('info')
    .describe('Least severe level written. Default info.'),
  slow_request: duration().prefault('1s').describe('Requests slower than this are logged at warn. Default 1s.'),
});

const ORIGIN = /^https?:\/\/[^/?#\s]+$/i;

export const cors = z.strictObject({
  allow_origins: z.array(z.string().refine((v) => v === '*' || ORIGIN.test(v), {
    error: (iss) => `bad origin ${JSON.stringify(iss.input)}: expected "*" or scheme://host[:port] with no path`,
  })).min(1).describe('Origins allowed to call, e.g. https://app.example.com, or "*". Required.'),
  allow_methods: z.array(method()).prefault(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'])
    .describe('Methods allowed in preflight. Default GET, HEAD, POST, PUT, PATCH, DELETE.'),
  allow_headers: z.array(headerName()).prefault([]).describe('Request headers allowed in preflight (lower-cased). Default none.'),
  expose_headers: z.array(headerName()).prefault([]).describe('Response headers scripts may read (lower-cased). Default none.'),
  allow_credentials: z.boolean().prefault(false).describe('Allow cookies and Authorization. Default false.'),
  max_age: duration().prefault('10m').describe('How long browsers may cache a preflight answer. Default 10m.'),
}).superRefine((c, ctx) => {
  if (c.allow_credentials && c.allow_origins.includes('*')) {
    ctx.addIssue({ code: 'custom', path: ['allow_origins'], message: 'browsers refuse "*" with allow_credentials: list the origins instead' });
  }
}, whenValid('allow_origins', 'allow_credentials'));
