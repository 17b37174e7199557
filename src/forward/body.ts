import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

/** Where an upstream body's bytes go once someone takes it. */
interface Consumer {
  /** false: stop until `UpstreamBody.resume()`. */
  data(chunk: Buffer): boolean;
  end(): void;
  fail(err: Error): void;
}

/**
 * Before a consumer attaches, the bytes that arrived are held up to this
 * much; past it the upstream socket is paused (undici's backpressure).
 */
const HOLD_BYTES = 64 * 1024;

const OPEN = 0;
const ENDED = 1;
const FAILED = 2;
const DESTROYED = 3;

/**
 * An upstream response body as undici's dispatch API delivers it, without a
 * stream. Hand-written because the stream undici's `request()` builds (a
 * Readable, an AsyncResource, then `pipe()` into the response with its six
 * listeners) was most of what a forwarded request cost beyond the app's own
 * bytes; most bodies arrive in the same read as their headers, and this
 * writes them with the headers in one `res.end(chunk)`.
 *
 * Bytes that arrive before a consumer attaches are held (up to 64 kB, then
 * the upstream socket waits). A consumer is either the client response
 * (`sendTo`, with backpressure through 'drain') or, for the stages that
 * work on streams (cache tee, body collection), a Readable (`stream()`).
 * `destroy()` abandons it: the upstream request is aborted if not complete.
 */
export class UpstreamBody {
  private held: Buffer[] | null = null;
  private heldBytes = 0;
  private state = OPEN;
  private error: Error | null = null;
  private consumer: Consumer | null = null;
  /** undici's resume, set while the upstream socket is paused. */
  private paused: (() => void) | null = null;

  constructor(
    private readonly resumeUpstream: () => void,
    private readonly abortUpstream: (err?: Error) => void,
  ) {}

  /** The body arrived whole: no more bytes will come. */
  get complete(): boolean {
    return this.state === ENDED;
  }

  /** From the dispatch handler. false: pause the upstream socket. */
  push(chunk: Buffer): boolean {
    if (this.state !== OPEN) return true;
    const c = this.consumer;
    if (c !== null) {
      if (c.data(chunk)) return true;
      this.paused = this.resumeUpstream;
      return false;
    }
    if (this.held === null) this.held = [chunk];
    else this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.heldBytes < HOLD_BYTES) return true;
    this.paused = this.resumeUpstream;
    return false;
  }

  /** From the dispatch handler: the body ended cleanly. */
  end(): void {
    if (this.state !== OPEN) return;
    this.state = ENDED;
    this.consumer?.end();
  }

  /** From the dispatch handler: the body failed (reset, body timeout, abort). */
  fail(err: Error): void {
    if (this.state !== OPEN) return;
    this.state = FAILED;
    this.error = err;
    this.held = null;
    this.consumer?.fail(err);
  }

  /** The consumer wants more: let the upstream socket go on. */
  resume(): void {
    const r = this.paused;
    if (r === null) return;
    this.paused = null;
    r();
  }

  /** Nobody will read it: drop what is held and abort the upstream call if it is still running. */
  destroy(): void {
    const s = this.state;
    this.state = DESTROYED;
    this.held = null;
    this.consumer = null;
    if (s === OPEN) this.abortUpstream(new Error('upstream body discarded'));
  }

  /** Read it to its end and drop the bytes, so the upstream connection can be reused. */
  drain(): void {
    if (this.consumer !== null || this.state === DESTROYED) return;
    this.attach(DISCARD);
  }

  /**
   * Write the body to the client after `res.writeHead`. A body already
   * complete goes out in one `res.end`; otherwise chunks follow as they
   * come, paced by the client. If the upstream fails midway the client
   * connection is destroyed, so the truncation is visible.
   */
  sendTo(res: ServerResponse): void {
    if (this.state === ENDED && this.consumer === null) {
      const held = this.held;
      this.held = null;
      if (held === null) res.end();
      else res.end(held.length === 1 ? held[0] : Buffer.concat(held, this.heldBytes));
      return;
    }
    const onDrain = () => this.resume();
    this.attach({
      data: (chunk) => {
        if (res.write(chunk)) return true;
        res.once('drain', onDrain);
        return false;
      },
      end: () => res.end(),
      fail: () => res.destroy(),
    });
  }

  /** The body as a Readable, for stages that work on streams. */
  stream(): Readable {
    const r = new BodyStream(this);
    this.attach({
      data: (chunk) => r.push(chunk),
      end: () => r.push(null),
      fail: (err) => r.destroy(err),
    });
    return r;
  }

  private attach(c: Consumer): void {
    if (this.consumer !== null || this.state === DESTROYED) throw new Error('upstream body taken twice');
    this.consumer = c;
    const held = this.held;
    this.held = null;
    this.heldBytes = 0;
    let more = true;
    if (held !== null) for (const chunk of held) more = c.data(chunk) && more;
    if (this.state === ENDED) c.end();
    else if (this.state === FAILED) c.fail(this.error!);
    else if (more) this.resume();
  }
}

const DISCARD: Consumer = { data: () => true, end() {}, fail() {} };

/**
 * Free a reply body nobody will read. Bodies still arriving are destroyed
 * (their upstream connection closes), unless `drain`: then they are read to
 * the end so the keep-alive connection is reused. Streams emit an error
 * when destroyed unread: it is swallowed.
 */
export function discardBody(b: Buffer | UpstreamBody | Readable | null, drain = false): void {
  if (b === null || Buffer.isBuffer(b)) return;
  if (b instanceof UpstreamBody) {
    if (drain) b.drain();
    else b.destroy();
    return;
  }
  if (b.readableEnded) return;
  b.on('error', noop);
  if (drain) b.resume();
  else b.destroy();
}

function noop(): void {}

/** `UpstreamBody.stream()`: reading resumes the upstream; destroying it abandons the body. */
class BodyStream extends Readable {
  constructor(private readonly body: UpstreamBody) {
    super();
  }

  override _read(): void {
    this.body.resume();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.body.destroy();
    cb(err);
  }
}

/** A reply body as a stream, for the stages that need one (an UpstreamBody is converted, once). */
export function asStream(body: Readable | UpstreamBody): Readable {
  return body instanceof UpstreamBody ? body.stream() : body;
}
