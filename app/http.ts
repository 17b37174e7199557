// The small HTTP toolkit every route uses: the per-request context, JSON
// replies, bounded JSON bodies, streamed bodies, and conditional GET.

import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultSwitch } from './faults.js';
import type { LogEntry, RequestLog } from './request-log.js';
import type { Store } from './store.js';

export interface AppState {
  store: Store;
  faults: FaultSwitch;
  log: RequestLog;
}

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  /** The request-log entry; absent for /__control/* requests. */
  entry: LogEntry | undefined;
  app: AppState;
  /** Aborted when the client goes away or the app closes. */
  signal: AbortSignal;
}

export type Handler = (ctx: Ctx) => Promise<void> | void;

/** An error answered as `{"error": code, "message", "field"?}` with `status`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export function invalid(field: string, message: string): HttpError {
  return new HttpError(400, 'validation_error', message, field);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendError(ctx: Ctx, err: HttpError): void {
  if (ctx.res.headersSent) {
    ctx.res.destroy();
    return;
  }
  // A body too large to read is not worth draining either: close instead.
  const headers: Record<string, string> = err.status === 413 && !ctx.req.complete ? { connection: 'close' } : {};
  const body: Record<string, string> = { error: err.code, message: err.message };
  if (err.field !== undefined) body.field = err.field;
  sendJson(ctx.res, err.status, body, headers);
}

/** The request body as it arrives, counted into the request log. */
export async function* bodyChunks(ctx: Ctx): AsyncGenerator<Buffer> {
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    if (ctx.entry) ctx.entry.bodyBytes += chunk.length;
    yield chunk;
  }
}

/** Reads and discards the body; returns its size. */
export async function drainBody(ctx: Ctx): Promise<number> {
  let n = 0;
  for await (const chunk of bodyChunks(ctx)) n += chunk.length;
  return n;
}

export const JSON_BODY_LIMIT = 1024 * 1024;

/** Parses a JSON object body of at most `limit` bytes; 400/413 otherwise. */
export async function readJsonObject(ctx: Ctx, limit = JSON_BODY_LIMIT): Promise<Record<string, unknown>> {
  const tooLarge = new HttpError(413, 'payload_too_large', `JSON bodies are limited to ${limit} bytes`);
  if (Number(ctx.req.headers['content-length'] ?? 0) > limit) throw tooLarge;
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of bodyChunks(ctx)) {
    size += chunk.length;
    if (size > limit) throw tooLarge;
    parts.push(chunk);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch {
    throw new HttpError(400, 'invalid_json', 'the request body is not valid JSON', 'body');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('body', 'the request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/**
 * Answers a GET/HEAD with a strong ETag (from the content) and Last-Modified,
 * or 304 when If-None-Match / If-Modified-Since say the client is current.
 */
export function sendCurrent(ctx: Ctx, body: unknown, lastModified: Date): void {
  const text = JSON.stringify(body);
  const etag = `"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"`;
  const validators = { etag, 'last-modified': lastModified.toUTCString() };
  if (notModified(ctx.req, etag, lastModified)) {
    ctx.res.writeHead(304, validators);
    ctx.res.end();
    return;
  }
  sendJson(ctx.res, 200, body, validators);
}

function notModified(req: IncomingMessage, etag: string, lastModified: Date): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) {
    // RFC 9110 §13.1.2: weak comparison; If-Modified-Since is then ignored.
    const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
    return inm.trim() === '*' || inm.split(',').some((tag) => opaque(tag) === etag);
  }
  const ims = Date.parse(req.headers['if-modified-since'] ?? '');
  if (Number.isNaN(ims)) return false;
  return Math.floor(lastModified.getTime() / 1000) * 1000 <= ims;
}

/** An integer query parameter within [min, max], else `fallback` when absent; 400 when malformed. */
export function intParam(url: URL, name: string, min: number, max: number, fallback: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw invalid(name, `${name} must be an integer between ${min} and ${max}`);
  }
  return n;
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
