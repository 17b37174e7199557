import { afterEach, describe, expect, it } from 'vitest';
import { echo, echoCached, h, send, startRig, type Rig } from './harness.js';

describe('concurrent misses for one key', () => {
  let rig: Rig;
  afterEach(() => rig.close());

  it('100 at once: the app counts exactly one request and every client gets its answer', async () => {
    rig = await startRig(echoCached('{ ttl: 1h }'));
    // the app takes a moment, so the others arrive while the first is in flight
    const path = echo({ cache_control: 'max-age=300', delay_ms: 300 });
    const answers = await Promise.all(Array.from({ length: 100 }, () => send(rig.proxy.url, path)));
    expect(answers.map((a) => a.status)).toEqual(Array(100).fill(200));
    expect(rig.app.log.count('/api/v1/echo')).toBe(1);
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    const kinds = answers.map((a) => h(a, 'x-cache'));
    expect(kinds.filter((k) => k === 'MISS')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'HIT')).toHaveLength(99);
  });

  it('an unstorable answer does not serialise the others: each goes to the app, none hangs', async () => {
    rig = await startRig(echoCached('{ ttl: 1h }'));
    const path = echo({ cache_control: 'no-store', delay_ms: 100 });
    const answers = await Promise.all(Array.from({ length: 20 }, () => send(rig.proxy.url, path)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(rig.app.log.count('/api/v1/echo')).toBe(20);
  });

  it('a failing leader releases the waiters with an answer, never a hang', async () => {
    rig = await startRig(echoCached('{ ttl: 1h }'));
    const path = echo({ cache_control: 'max-age=300', status: 500, delay_ms: 100 });
    const answers = await Promise.all(Array.from({ length: 20 }, () => send(rig.proxy.url, path)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(500));
  });
});
