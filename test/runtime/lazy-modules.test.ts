import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

/**
 * Start the built proxy in a fresh node process with `store` and report which
 * of the lazily loaded libraries ended up in its module cache.
 */
function loadedWith(store: string): { ioredis: boolean; httpProxy: boolean } {
  const script = `
    import { createRequire } from 'node:module';
    const { startProxy } = await import(${JSON.stringify(path.join(root, 'dist/src/proxy.js'))});
    const { parsePolicyText } = await import(${JSON.stringify(path.join(root, 'dist/src/config/load.js'))});
    const r = parsePolicyText(\`version: 1
server: { listen: 127.0.0.1:0, admin: 127.0.0.1:0, shutdown_delay: 0 }
upstream: { url: http://127.0.0.1:9 }
${store}
logging: { level: error }
\`, 'inline.yaml', {});
    if (!r.ok) { console.error(r.errors.join('\\n')); process.exit(2); }
    const p = await startProxy({ policy: r.policy });
    const cache = Object.keys(createRequire(import.meta.url).cache);
    const has = (name) => cache.some((k) => k.includes('/node_modules/' + name + '/'));
    console.log(JSON.stringify({ ioredis: has('ioredis'), httpProxy: has('http-proxy-3') }));
    process.exit(0);
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 20_000 });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe('libraries loaded only when used', () => {
  it('a proxy on the memory store loads neither ioredis nor the WebSocket proxy', () => {
    expect(loadedWith('store: { kind: memory }')).toEqual({ ioredis: false, httpProxy: false });
  });

  it('a proxy on the Redis store loads ioredis', () => {
    expect(loadedWith('store: { kind: redis, url: "redis://127.0.0.1:6379" }').ioredis).toBe(true);
  });
});
