import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

/** `total` bytes in 64 KiB chunks of varying content, hashed as they go. */
function* chunks(total: number, hash: ReturnType<typeof createHash>): Generator<Buffer> {
  for (let sent = 0, i = 0; sent < total; i++) {
    const chunk = Buffer.alloc(Math.min(64 * 1024, total - sent), i % 251);
    hash.update(chunk);
    sent += chunk.length;
    yield chunk;
  }
}

describe('POST /api/v1/files/upload', () => {
  it('counts and hashes a 20 MB streamed body', async () => {
    const size = 20 * 1024 * 1024;
    const hash = createHash('sha256');
    async function* body() {
      yield* chunks(size, hash);
    }
    const res = await h.call('POST', '/api/v1/files/upload', { body: body() });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ bytes: size, sha256: hash.digest('hex') });
    expect(h.app.log.entries.at(-1)).toMatchObject({ method: 'POST', url: '/api/v1/files/upload', bodyBytes: size, status: 200 });
  });

  it('reads the body as it arrives, before it is complete', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* body() {
      yield Buffer.alloc(256 * 1024, 1);
      await gate; // the rest waits until the app has consumed the first part
      yield Buffer.alloc(256 * 1024, 2);
    }
    const pending = h.call('POST', '/api/v1/files/upload', { body: body() });
    await expect.poll(() => h.app.log.entries.at(-1)?.bodyBytes ?? 0).toBe(256 * 1024);
    expect(h.app.log.entries.at(-1)?.status).toBeUndefined();
    release();
    const res = await pending;
    expect(res.json.bytes).toBe(512 * 1024);
  });

  it('handles an empty body', async () => {
    const res = await h.call('POST', '/api/v1/files/upload', { body: '' });
    expect(res.json).toEqual({ bytes: 0, sha256: createHash('sha256').digest('hex') });
  });
});

describe('a client that goes away mid-upload', () => {
  it('leaves the app serving', async () => {
    const controller = new AbortController();
    async function* body() {
      yield Buffer.alloc(64 * 1024);
      await new Promise(() => {}); // never finishes
    }
    const pending = h.call('POST', '/api/v1/files/upload', { body: body(), signal: controller.signal });
    await expect.poll(() => h.app.log.entries.at(-1)?.bodyBytes ?? 0).toBe(64 * 1024);
    controller.abort();
    await expect(pending).rejects.toThrow();
    expect((await h.call('GET', '/health')).status).toBe(200);
  });
});
