import { afterEach } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { startProxy, type Proxy } from '../../src/proxy.js';
import { createLogger } from '../../src/observability/log.js';

export interface TestProxy {
  proxy: Proxy;
  url: string;
  adminUrl: string;
  file: string;
  /** Every JSON log line the proxy wrote, parsed. */
  logs: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/**
 * Start a real sono-guard on 127.0.0.1:0 (admin too) in front of `upstream`
 * with the given YAML sections appended to a minimal policy. The policy is a
 * real file, so reloads read it like in production.
 */
export async function startTestProxy(upstream: string, sections = '', opts: { server?: string; env?: NodeJS.ProcessEnv } = {}): Promise<TestProxy> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sono-guard-test-'));
  const file = path.join(dir, 'policy.yaml');
  writeFileSync(file, policyText(upstream, sections, opts.server));
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  const proxy = await startProxy({
    file,
    env: opts.env ?? process.env,
    listen: { host: '127.0.0.1', port: 0 },
    admin: { host: '127.0.0.1', port: 0 },
    logger: createLogger('info', sink),
  });
  return { proxy, url: proxy.url, adminUrl: proxy.adminUrl, file, logs, close: () => proxy.close() };
}

export function policyText(upstream: string, sections: string, server = ''): string {
  return `version: 1
server:
  listen: 127.0.0.1:0
  admin: 127.0.0.1:0
${server.replace(/^/gm, '  ')}
upstream:
  url: ${upstream}
  health: { path: /health, interval: 1s }
${sections}
`;
}

/**
 * Close what a test started, last started first (the proxy before its app),
 * after each test: `app = track(await startApp())`.
 */
export function closeAfterEach(): <T extends { close(): Promise<void> }>(handle: T) => T {
  const open: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    while (open.length > 0) await open.pop()!.close();
  });
  return (handle) => {
    open.push(handle);
    return handle;
  };
}
