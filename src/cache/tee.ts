import { Transform, pipeline, type Readable, type TransformCallback } from 'node:stream';
import { joinChunks } from './codec.js';
import { asStream, type UpstreamBody } from '../forward/body.js';

/**
 * Passes an upstream body through to the client while keeping a copy, so the
 * first byte reaches the client as soon as it arrives (backpressure intact:
 * the client's pace drives the upstream read). The copy is dropped once it
 * exceeds `cap`; `done` gets the whole body when it ended cleanly, else null.
 */
class TeeStream extends Transform {
  private chunks: Buffer[] | null = [];
  private size = 0;
  private settled = false;

  constructor(
    private readonly cap: number,
    private readonly done: (body: Buffer | null) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.chunks !== null) {
      this.size += chunk.length;
      if (this.size > this.cap) this.chunks = null;
      else this.chunks.push(chunk);
    }
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.settle(this.chunks === null ? null : joinChunks(this.chunks, this.size));
    cb();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.settle(null);
    cb(err);
  }

  private settle(body: Buffer | null): void {
    if (this.settled) return;
    this.settled = true;
    this.chunks = null;
    this.done(body);
  }
}

/** The stream to hand the client in place of `src`. An upstream error destroys it (the client sees the truncation). */
export function teeBody(body: Readable | UpstreamBody, cap: number, done: (body: Buffer | null) => void): Readable {
  const src = asStream(body);
  const tee = new TeeStream(cap, done);
  pipeline(src, tee, noop);
  return tee;
}

/** Read a body nobody else consumes (background refresh, 304 to the client); null when over `cap` or failed. */
export function collectBody(body: Readable | UpstreamBody, cap: number): Promise<Buffer | null> {
  const src = asStream(body);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    src.on('data', (c: Buffer) => {
      size += c.length;
      if (size > cap) {
        src.destroy();
        resolve(null);
      } else chunks.push(c);
    });
    src.on('end', () => resolve(joinChunks(chunks, size)));
    src.on('error', () => resolve(null));
    src.on('close', () => resolve(null));
  });
}

function noop(): void {}
