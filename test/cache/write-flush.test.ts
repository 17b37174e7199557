import { describe, it, expect } from 'vitest';
import { ResponseCache } from '../../src/cache/response-cache.js';
import { MemoryCacheStore } from '../../src/cache/memory-store.js';
import type { CacheStore } from '../../src/cache/types.js';
import { cacheDef } from './helpers.js';

/** A store whose deletes finish when the test says so. */
function slowStore() {
  const inner = new MemoryCacheStore({ maxBytes: 1 << 20 });
  const pending: Array<() => void> = [];
  const store = Object.assign(Object.create(inner) as CacheStore, {
    delete: () => new Promise<void>((resolve) => pending.push(resolve)),
  });
  return { store, finishOne: () => pending.shift()!() };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('ResponseCache.flush: waits for store writes', () => {
  it('resolves at once with nothing pending', async () => {
    const cache = new ResponseCache('t', cacheDef(), { store: slowStore().store });
    await cache.flush();
  });

  it('waits for every write started, including one started while waiting', async () => {
    const s = slowStore();
    const cache = new ResponseCache('t', cacheDef(), { store: s.store });
    cache.remove('a');
    cache.remove('b');
    let flushed = false;
    void cache.flush().then(() => (flushed = true));
    s.finishOne();
    await tick();
    expect(flushed).toBe(false);
    cache.remove('c');
    s.finishOne();
    await tick();
    expect(flushed).toBe(false);
    s.finishOne();
    await tick();
    expect(flushed).toBe(true);
  });
});
