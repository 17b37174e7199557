import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOG_CAPACITY, RequestLog } from '../../app/request-log.js';
import { startHarness, type Harness } from './harness.js';

describe('RequestLog', () => {
  it('keeps the last 1,000 entries, oldest first, and counts them all', () => {
    const log = new RequestLog();
    for (let i = 0; i < LOG_CAPACITY + 5; i++) log.record('GET', `/r/${i}?q=1`, {});
    expect(log.entries).toHaveLength(LOG_CAPACITY);
    expect(log.entries[0]?.url).toBe('/r/5?q=1');
    expect(log.entries.at(-1)?.url).toBe(`/r/${LOG_CAPACITY + 4}?q=1`);
    expect(log.count()).toBe(LOG_CAPACITY + 5);
    expect(log.count('/r/1')).toBe(116); // /r/1, /r/10-19, /r/100-199, /r/1000-1004
    log.clear();
    expect(log.count()).toBe(0);
    expect(log.entries).toEqual([]);
  });

  it('with capacity 0 keeps counts and no entries', () => {
    const log = new RequestLog(0);
    const e = log.record('GET', '/a?x=1', { 'x-request-id': 'r1' });
    e.status = 200; // callers still fill in the entry they got back
    log.record('GET', '/a', {});
    log.record('GET', '/b', {});
    expect(log.entries).toEqual([]);
    expect(log.count()).toBe(3);
    expect(log.count('/a')).toBe(2);
  });

  it('keeps exactly its capacity', () => {
    const log = new RequestLog(3);
    for (let i = 0; i < 5; i++) log.record('GET', `/r/${i}`, {});
    expect(log.entries.map((e) => e.url)).toEqual(['/r/2', '/r/3', '/r/4']);
  });

  it('counts by path, not by query', () => {
    const log = new RequestLog();
    log.record('GET', '/a?next=/b', {});
    expect(log.count('/b')).toBe(0);
    expect(log.count('/a')).toBe(1);
  });
});

describe('request log of a running app', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('records every request that reached the app, but not /__control/*', async () => {
    await h.call('GET', '/__control/fault');
    expect(h.app.log.count()).toBe(0); // "the app received nothing"

    const before = Date.now();
    await h.call('POST', '/api/v1/candidates', { body: { name: 'Ada' }, headers: { 'x-request-id': 'r1' } });
    await h.call('GET', '/api/v1/candidates');
    await h.call('GET', '/nope');
    expect(h.app.log.count()).toBe(3);
    expect(h.app.log.count('/api/v1/candidates')).toBe(2);
    expect(h.app.log.count('/nope')).toBe(1);

    const [first] = h.app.log.entries;
    expect(first).toMatchObject({ method: 'POST', url: '/api/v1/candidates', bodyBytes: 14, status: 201 });
    expect(first?.headers['x-request-id']).toBe('r1');
    expect(first?.time).toBeGreaterThanOrEqual(before);
    expect(h.app.log.entries.map((e) => e.status)).toEqual([201, 200, 404]);
  });

  it('records requests a fault answered or dropped', async () => {
    await h.app.faults.set({ mode: 'fail' });
    await h.call('GET', '/health');
    await h.app.faults.set({ mode: 'reset' });
    await h.call('GET', '/health').catch(() => undefined);
    expect(h.app.log.count('/health')).toBe(2);
    expect(h.app.log.entries.map((e) => e.status)).toEqual([503, undefined]);
  });
});
