import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Policy } from './config/schema.js';
import { loadPolicyFile } from './config/load.js';
import { Metrics } from './observability/metrics.js';
import { createLogger } from './observability/log.js';
import { StateRegistry } from './runtime/registry.js';
import { compile, type Compiled, type CompiledRoute } from './runtime/compile.js';
import { RouteMetrics } from './runtime/route-metrics.js';
import { assemble, NO_STAGES } from './pipeline/pipeline.js';
import { problem } from './pipeline/problem.js';
import { requestHandler, type Live } from './server/handle.js';
import { statusHandlers, components, type StatusSources } from './server/status.js';
import { adminHandler } from './server/admin.js';
import { upgradeHandler } from './server/upgrade.js';
import { UpstreamProbe } from './health/probe.js';
import { InFlight } from './server/inflight.js';
import { createMainListener, schemeOf } from './server/listener.js';
import { isLoopback } from './config/fields.js';
import { watchPolicyFile } from './runtime/watch.js';
import { compileClientIp } from './net/client-ip.js';

export interface ProxyOptions {
  /** Policy file: loaded at start and on every reload. */
  file?: string;
  /** An already parsed policy (tests); reload then re-reads `file` if given. */
  policy?: Policy;
  env?: NodeJS.ProcessEnv;
  /** Override `server.listen` (tests listen on port 0). */
  listen?: { host: string; port: number };
  /** Reload when the policy file changes (default true when `file` is set). */
  watch?: boolean;
  /** Override `server.admin`; `false` starts no admin listener. */
  admin?: { host: string; port: number } | false;
  logger?: Logger;
  environment?: string;
}

export type ReloadResult = { ok: true } | { ok: false; errors: string[] };

/**
 * One running sono-guard: the main and admin listeners, the compiled policy
 * (swapped whole on reload), the state registry that carries limiter, breaker
 * and cache state across reloads, the upstream probe and the metrics.
 */
export class Proxy {
  readonly metrics = new Metrics();
  readonly registry = new StateRegistry();
  readonly log: Logger;
  readonly server: http.Server;
  adminServer: http.Server | null = null;
  url = '';
  adminUrl = '';

  private compiled!: Compiled;
  private live!: Live;
  private probe!: UpstreamProbe;
  private loadedAt = new Date();
  private lastReloadError: string | null = null;
  private readonly inflight = new InFlight();
  private watcher: { close(): void } | null = null;
  private stopping: Promise<number> | null = null;
  private readonly upgraded = new Set<Duplex>();
  private readonly status: ReturnType<typeof statusHandlers>;

  private constructor(
    private policy: Policy,
    private readonly opts: ProxyOptions,
  ) {
    this.log = opts.logger ?? createLogger(policy.logging.level);
    const sources = this.sources();
    this.status = statusHandlers(sources);
    this.metrics.componentSource = () => components(sources);
    // HTTP or HTTPS (server.tls) with every client-facing limit: see server/listener.ts.
    this.server = createMainListener(
      policy.server,
      () => this.policy.server,
      (edge) => requestHandler(() => this.live, this.log, edge.proto, this.inflight, edge.hsts),
      this.inflight,
      this.log,
    ).server;
    this.server.on('upgrade', upgradeHandler(() => this.live, () => this.policy.upstream.url, this.log, this.upgraded, schemeOf(this.server)));
  }

  static async start(opts: ProxyOptions): Promise<Proxy> {
    let policy = opts.policy;
    if (!policy) {
      if (!opts.file) throw new Error('startProxy needs a policy or a file');
      const r = loadPolicyFile(opts.file, opts.env ?? process.env);
      if (!r.ok) throw Object.assign(new Error(r.errors.join('\n')), { code: 'EPOLICY', errors: r.errors });
      policy = r.policy;
    }
    const p = new Proxy(policy, opts);
    p.apply(policy);
    p.probe = new UpstreamProbe(
      p.compiled.pool,
      policy.upstream.health.path,
      policy.upstream.health.interval,
      policy.upstream.health.timeout,
      p.log,
    );
    // Ready as soon as the app is: wait for the first probe (bounded by its timeout).
    await p.probe.start();
    try {
      await p.listen();
    } catch (err) {
      // Cannot start (port in use...): release what was opened so the caller can exit cleanly.
      p.probe.stop();
      p.server.close();
      p.adminServer?.close();
      await p.registry.closeAll();
      throw err;
    }
    if (opts.file && opts.watch !== false) {
      p.watcher = watchPolicyFile(opts.file, () => void p.reload('file change'));
    }
    return p;
  }

  private async listen(): Promise<void> {
    const s = this.policy.server;
    const main = this.opts.listen ?? s.listen;
    const admin = this.opts.admin === undefined ? s.admin : this.opts.admin;
    if (admin && !isLoopback(admin.host) && s.admin_token === null) {
      // The schema refuses this for server.admin; an override must not slip past it.
      throw Object.assign(new Error(`admin listens on ${admin.host}, which is not loopback: set server.admin_token`), { code: 'EPOLICY' });
    }
    await listenOn(this.server, main.port, main.host);
    this.url = urlOf(this.server, schemeOf(this.server));
    if (admin) {
      this.adminServer = http.createServer(adminHandler({
        loopbackOnly: isLoopback(admin.host),
        registry: () => this.metrics.registry,
        token: () => this.policy.server.admin_token,
        status: this.status,
        reload: () => this.reload(),
        purge: async (name, pattern) => {
          const c = this.compiled.caches.get(name);
          return c ? c.purge(pattern) : null;
        },
        breaker: (name, op) => {
          const b = this.compiled.breakers.get(name);
          if (!b) return false;
          if (op === 'open') b.forceOpen();
          else if (op === 'close') b.forceClose();
          else b.reset();
          return true;
        },
      }));
      await listenOn(this.adminServer, admin.port, admin.host);
      this.adminUrl = urlOf(this.adminServer, 'http');
    }
    this.log.info({ listen: this.url, admin: this.adminUrl || null, upstream: this.policy.upstream.url }, `sono-guard listening on ${this.url}, forwarding to ${this.policy.upstream.url}`);
  }

  /** Compile and swap in a validated policy; unchanged policies keep their state. */
  private apply(policy: Policy): void {
    this.registry.begin();
    const compiled = compile(policy, { registry: this.registry, metrics: this.metrics, logger: this.log });
    const builtins = new Map<string, CompiledRoute>();
    for (const [path, handler] of Object.entries(this.status)) {
      builtins.set(path, fixedRoute(this.metrics, path, assemble(NO_STAGES, handler)));
    }
    const badTarget = fixedRoute(this.metrics, 'invalid-target', assemble(NO_STAGES, async (x) => problem(x, 'bad_request', 'The request target is not a valid path')));
    this.compiled = compiled;
    this.policy = policy;
    this.live = {
      match: compiled.match,
      builtins,
      badTarget,
      clientIp: compileClientIp(policy.server.trusted_proxies).fromRequest,
      slowMs: policy.logging.slow_request,
    };
    this.loadedAt = new Date();
    this.probe?.update(compiled.pool, policy.upstream.health.path, policy.upstream.health.interval, policy.upstream.health.timeout);
    void this.registry.sweep();
  }

  /** Re-read the policy file. An invalid file changes nothing: the running policies stay. */
  async reload(trigger = 'request'): Promise<ReloadResult> {
    const file = this.opts.file;
    if (!file) return { ok: false, errors: ['no policy file to reload from'] };
    const r = loadPolicyFile(file, this.opts.env ?? process.env);
    if (!r.ok) {
      this.lastReloadError = r.errors.join('\n');
      this.metrics.configReloads.labels('failure').inc();
      this.log.error({ file, trigger, errors: r.errors }, `Configuration reload rejected; keeping the running policies: ${r.errors[0]}`);
      return { ok: false, errors: r.errors };
    }
    this.apply(r.policy);
    this.lastReloadError = null;
    this.metrics.configReloads.labels('success').inc();
    this.log.info({ file, trigger }, `Configuration reloaded (${trigger})`);
    return { ok: true };
  }

  private sources(): StatusSources {
    return {
      environment: this.opts.environment ?? process.env.SONO_GUARD_ENV ?? process.env.NODE_ENV ?? 'development',
      config: () => ({ file: this.opts.file ?? null, loadedAt: this.loadedAt, lastReloadError: this.lastReloadError, policy: this.policy }),
      upstream: () => (this.probe?.healthy ? 'operational' : 'down'),
      store: () => this.compiled.redis?.guard.health() ?? 'operational',
      draining: () => this.inflight.draining,
      breakers: () => {
        const out: ReturnType<StatusSources['breakers']> = {};
        for (const [name, b] of this.compiled.breakers) {
          const s = b.snapshot();
          out[name] = { state: s.state, failure_rate: s.failure_rate, opened_at: s.opened_at };
        }
        return out;
      },
      rateLimits: () => {
        const out: ReturnType<StatusSources['rateLimits']> = {};
        for (const [name, l] of this.compiled.limiters) out[name] = l.snapshot();
        return out;
      },
      caches: () => {
        const out: ReturnType<StatusSources['caches']> = {};
        for (const [name, c] of this.compiled.caches) out[name] = c.snapshot();
        return out;
      },
    };
  }

  /** Run the upstream health probe now (it also runs every `upstream.health.interval`). */
  checkUpstream(): Promise<void> {
    return this.probe.check();
  }

  get compiledPolicy(): Compiled {
    return this.compiled;
  }

  /**
   * Graceful shutdown (SIGTERM): readiness turns 503 at once; requests are
   * still served for `shutdown_delay` so endpoints deregister; then the
   * listener stops accepting, in-flight requests get up to `drain_timeout`
   * (their responses carry `Connection: close`, idle keep-alive connections
   * are closed). Resolves 0 on a clean drain, 1 when requests had to be cut
   * (timeout or `force()`), naming them in the log.
   */
  shutdown(): Promise<number> {
    if (this.stopping) return this.stopping;
    this.stopping = this.drain();
    return this.stopping;
  }

  private forced: (() => void) | null = null;

  /** A second SIGTERM: stop now, cutting whatever is still in flight. */
  force(): void {
    this.forced?.();
  }

  private async drain(): Promise<number> {
    const s = this.policy.server;
    this.inflight.draining = true;
    this.log.info({ shutdown_delay_ms: s.shutdown_delay, drain_timeout_ms: s.drain_timeout, in_flight: this.inflight.size }, 'Shutting down: readiness is now 503');
    const forced = new Promise<void>((resolve) => (this.forced = resolve));
    const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
    await Promise.race([wait(s.shutdown_delay), forced]);
    this.server.close();
    for (const x of this.inflight) if (!x.res.headersSent) x.res.shouldKeepAlive = false;
    this.server.closeIdleConnections();
    const clean = await Promise.race([this.inflight.settle(s.drain_timeout), forced.then(() => false)]);
    let code = 0;
    if (!clean) {
      const cut = this.inflight.describe();
      this.log.error({ in_flight: this.inflight.size, cut }, `Drain did not finish: cutting ${this.inflight.size} request(s): ${cut.join('; ')}`);
      code = 1;
      this.server.closeAllConnections();
    } else {
      this.log.info('Drained: every in-flight request finished');
    }
    await this.close();
    return code;
  }

  async close(): Promise<void> {
    this.inflight.draining = true;
    this.watcher?.close();
    this.probe?.stop();
    for (const s of this.upgraded) s.destroy();
    const closing = [closeServer(this.server)];
    if (this.adminServer) closing.push(closeServer(this.adminServer));
    await Promise.all(closing);
    await this.registry.closeAll();
  }
}

export function startProxy(opts: ProxyOptions): Promise<Proxy> {
  return Proxy.start(opts);
}

function fixedRoute(metrics: Metrics, label: string, handler: CompiledRoute['handler']): CompiledRoute {
  return { label, methods: null, matches: () => false, handler, admit: handler, metrics: new RouteMetrics(metrics, label) };
}

function listenOn(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function urlOf(server: http.Server, scheme: string): string {
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return `${scheme}://${host}:${a.port}`;
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    // In-flight requests get a moment; drain with a deadline is the shutdown path's job.
    setTimeout(() => server.closeAllConnections(), 1000).unref();
  });
}
