import { describe, it, expect } from 'vitest';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { UpstreamBody, discardBody } from '../../src/forward/body.js';

/** What undici's side of a body sees: resumes and aborts. */
function upstream() {
  const calls = { resumed: 0, aborted: 0 };
  const body = new UpstreamBody(() => calls.resumed++, () => calls.aborted++);
  return { body, calls };
}

/** Enough of a ServerResponse for sendTo: records writes; `write` answers `accept`. */
class FakeRes extends EventEmitter {
  written: Buffer[] = [];
  ended = false;
  destroyed = false;
  endCalls = 0;
  accept = true;
  write(c: Buffer) { this.written.push(c); return this.accept; }
  end(c?: Buffer) { if (c) this.written.push(c); this.ended = true; this.endCalls++; }
  destroy() { this.destroyed = true; }
  text() { return Buffer.concat(this.written).toString(); }
}
const asRes = (r: FakeRes) => r as unknown as ServerResponse;

describe('UpstreamBody', () => {
  it('a body complete before the client takes it goes out in one end() call', () => {
    const { body } = upstream();
    body.push(Buffer.from('he'));
    body.push(Buffer.from('llo'));
    body.end();
    const res = new FakeRes();
    body.sendTo(asRes(res));
    expect(res.text()).toBe('hello');
    expect(res.written.length).toBe(1);
    expect(res.endCalls).toBe(1);
  });

  it('holds up to 64 kB before a consumer, then pauses the upstream until the client takes it', () => {
    const { body, calls } = upstream();
    const chunk = Buffer.alloc(16 * 1024, 97);
    expect(body.push(chunk)).toBe(true);
    expect(body.push(chunk)).toBe(true);
    expect(body.push(chunk)).toBe(true);
    expect(body.push(chunk)).toBe(false); // 64 kB held: undici pauses the socket
    const res = new FakeRes();
    body.sendTo(asRes(res));
    expect(calls.resumed).toBe(1);
    expect(res.written.length).toBe(4);
    body.push(Buffer.from('b'));
    body.end();
    expect(res.ended).toBe(true);
    expect(Buffer.concat(res.written).length).toBe(64 * 1024 + 1);
  });

  it('follows the client pace: a full socket pauses the upstream until drain', () => {
    const { body, calls } = upstream();
    const res = new FakeRes();
    body.sendTo(asRes(res));
    res.accept = false;
    expect(body.push(Buffer.from('a'))).toBe(false);
    expect(calls.resumed).toBe(0);
    res.accept = true;
    res.emit('drain');
    expect(calls.resumed).toBe(1);
    expect(body.push(Buffer.from('b'))).toBe(true);
    body.end();
    expect(res.text()).toBe('ab');
    expect(res.ended).toBe(true);
  });

  it('an upstream failure after the headers destroys the client response (never a short body that looks complete)', () => {
    const { body } = upstream();
    const res = new FakeRes();
    body.sendTo(asRes(res));
    body.push(Buffer.from('part'));
    body.fail(new Error('reset'));
    expect(res.destroyed).toBe(true);
    expect(res.ended).toBe(false);
    // and when it failed before the client took it
    const late = upstream();
    late.body.push(Buffer.from('x'));
    late.body.fail(new Error('reset'));
    const res2 = new FakeRes();
    late.body.sendTo(asRes(res2));
    expect(res2.destroyed).toBe(true);
    expect(res2.ended).toBe(false);
  });

  it('destroy aborts the upstream call only while the body is still arriving', () => {
    const open = upstream();
    open.body.destroy();
    expect(open.calls.aborted).toBe(1);
    const done = upstream();
    done.body.end();
    done.body.destroy();
    expect(done.calls.aborted).toBe(0);
  });

  it('as a stream: held bytes first, then the rest; reading resumes the upstream; a failure errors the stream', async () => {
    const { body, calls } = upstream();
    const big = Buffer.alloc(64 * 1024, 98);
    body.push(Buffer.from('a'));
    expect(body.push(big)).toBe(false);
    const s = body.stream();
    const got: Buffer[] = [];
    const ended = new Promise<void>((resolve) => s.on('end', resolve));
    s.on('data', (c: Buffer) => got.push(c));
    await new Promise((r) => setImmediate(r));
    expect(calls.resumed).toBeGreaterThanOrEqual(1);
    body.push(Buffer.from('z'));
    body.end();
    await ended;
    const all = Buffer.concat(got);
    expect(all.length).toBe(64 * 1024 + 2);
    expect(all.subarray(0, 1).toString()).toBe('a');
    expect(all.subarray(-1).toString()).toBe('z');

    const failing = upstream();
    const fs = failing.body.stream();
    const err = new Promise<Error>((resolve) => fs.on('error', resolve));
    fs.resume();
    failing.body.fail(new Error('reset'));
    expect((await err).message).toBe('reset');
  });

  it('a stream destroyed by its reader abandons the upstream call', () => {
    const { body, calls } = upstream();
    const s = body.stream();
    s.destroy();
    expect(calls.aborted).toBe(1);
  });

  it('cannot be taken twice', () => {
    const { body } = upstream();
    body.sendTo(asRes(new FakeRes()));
    expect(() => body.stream()).toThrow(/taken twice/);
  });

  it('discardBody drains when asked (the connection stays reusable), else destroys', () => {
    const drained = upstream();
    discardBody(drained.body, true);
    drained.body.push(Buffer.from('ignored'));
    drained.body.end();
    expect(drained.calls.aborted).toBe(0);
    const destroyed = upstream();
    discardBody(destroyed.body);
    expect(destroyed.calls.aborted).toBe(1);
  });
});
