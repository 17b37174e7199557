import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { createSecureContext, type Server as TlsServer, type TlsOptions } from 'node:tls';
import type { Logger } from 'pino';

/** `server.tls` as parsed from the policy file. */
export interface TlsDef {
  cert: string;
  key: string;
  hsts: { max_age: number /* ms */; include_subdomains: boolean } | null;
}

/** Modern defaults: TLS 1.2 and 1.3 only (Node's cipher list), HTTP/1.1 over ALPN. */
const BASE: TlsOptions = { minVersion: 'TLSv1.2', ALPNProtocols: ['http/1.1'] };

export interface Pem {
  cert: Buffer;
  key: Buffer;
}

/** Read the certificate and key (at start: a missing or unreadable file stops the proxy). */
export function readPem(t: Pick<TlsDef, 'cert' | 'key'>): Pem {
  return { cert: readFileSync(t.cert), key: readFileSync(t.key) };
}

export function secureOptions(pem: Pem): TlsOptions {
  return { ...BASE, cert: pem.cert, key: pem.key };
}

/** The Strict-Transport-Security value, or null when `hsts` is not set. */
export function hstsValue(t: TlsDef | null): string | null {
  if (t === null || t.hsts === null) return null;
  return `max-age=${Math.floor(t.hsts.max_age / 1000)}${t.hsts.include_subdomains ? '; includeSubDomains' : ''}`;
}

export function fingerprint(cert: Buffer): string {
  try {
    return new X509Certificate(cert).fingerprint256;
  } catch {
    return 'unparsable';
  }
}

export interface WatchOptions {
  /** Quiet time after the last file event before reloading (a Secret update touches several files). Default 200 ms. */
  debounceMs?: number;
  /** Safety net for file systems where watch events are lost. Default 30 s. */
  pollMs?: number;
}

/**
 * Certificate rotation without a restart and without dropping connections:
 * the directories of the two files are watched (a Kubernetes Secret update is
 * an atomic swap of the `..data` symlink in that directory, which watching
 * the files themselves would miss), events are debounced, and when the
 * contents changed and the pair is valid the server's secure context is
 * replaced. Open connections keep their session; new handshakes get the new
 * certificate. A half-written or mismatched pair keeps the old one and is
 * logged; the next event or poll tries again.
 */
export class CertificateWatcher {
  private readonly watchers: FSWatcher[] = [];
  private readonly poll: NodeJS.Timeout;
  private debounce: NodeJS.Timeout | null = null;
  private current: Pem;
  private reloading = false;
  private pending = false;
  private closed = false;
  private readonly debounceMs: number;

  constructor(
    private readonly server: TlsServer,
    private readonly def: Pick<TlsDef, 'cert' | 'key'>,
    initial: Pem,
    private readonly log: Logger,
    opts: WatchOptions = {},
  ) {
    this.current = initial;
    this.debounceMs = opts.debounceMs ?? 200;
    for (const dir of new Set([dirname(def.cert), dirname(def.key)])) {
      try {
        const w = watch(dir, { persistent: false }, () => this.changed());
        w.on('error', (err) => log.warn({ dir, error: err.message }, 'TLS certificate directory watch failed; polling only'));
        this.watchers.push(w);
      } catch (err) {
        log.warn({ dir, error: (err as Error).message }, 'Cannot watch the TLS certificate directory; polling only');
      }
    }
    this.poll = setInterval(() => void this.reload(), opts.pollMs ?? 30_000);
    this.poll.unref();
  }

  private changed(): void {
    if (this.closed) return;
    if (this.debounce !== null) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = null;
      void this.reload();
    }, this.debounceMs);
    this.debounce.unref();
  }

  /** Re-read both files; swap the context when they changed and form a valid pair. Resolves true when swapped. */
  async reload(): Promise<boolean> {
    if (this.closed) return false;
    if (this.reloading) {
      this.pending = true;
      return false;
    }
    this.reloading = true;
    try {
      let next: Pem;
      try {
        next = { cert: await readFile(this.def.cert), key: await readFile(this.def.key) };
      } catch (err) {
        this.log.warn({ error: (err as Error).message }, 'TLS certificate files unreadable; keeping the current certificate');
        return false;
      }
      if (next.cert.equals(this.current.cert) && next.key.equals(this.current.key)) return false;
      const opts = secureOptions(next);
      try {
        // Validate first: a key that does not match the certificate throws here, not mid-handshake.
        createSecureContext(opts);
        this.server.setSecureContext(opts);
      } catch (err) {
        this.log.warn({ error: (err as Error).message }, 'New TLS certificate or key rejected; keeping the current certificate');
        return false;
      }
      this.current = next;
      this.log.info({ fingerprint256: fingerprint(next.cert) }, 'TLS certificate reloaded');
      return true;
    } finally {
      this.reloading = false;
      if (this.pending) {
        this.pending = false;
        this.changed();
      }
    }
  }

  close(): void {
    this.closed = true;
    for (const w of this.watchers) w.close();
    clearInterval(this.poll);
    if (this.debounce !== null) clearTimeout(this.debounce);
  }
}
