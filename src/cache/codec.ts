/**
 * Sizes and the wire form of stored values.
 *
 * Redis holds one value per key: a 4-byte big-endian length, the metadata and
 * headers as JSON, then the body bytes as they are (no base64), so one GET
 * returns a whole entry.
 */
import { headerBytes } from './headers.js';
import type { CacheEntry, StoredValue } from './types.js';

/** Fixed per-entry overhead counted against `max_bytes` (object, key, LRU slots). */
export const ENTRY_OVERHEAD = 256;

export function valueSize(v: StoredValue): number {
  if (v.kind === 'vary') return ENTRY_OVERHEAD + v.names.join(',').length;
  return ENTRY_OVERHEAD + headerBytes(v.headers) + v.body.length;
}

/**
 * One right-sized Buffer from collected chunks. `Buffer.concat` may return a
 * slice of the shared 8 KiB pool for small sizes, which would pin the whole
 * slab for as long as the entry lives; an unpooled allocation does not.
 */
export function joinChunks(chunks: readonly Buffer[], total: number): Buffer {
  const out = Buffer.allocUnsafeSlow(total);
  let off = 0;
  for (const c of chunks) {
    c.copy(out, off);
    off += c.length;
  }
  return out;
}

export function encodeValue(v: StoredValue): Buffer {
  const meta = v.kind === 'entry' ? { ...v, body: undefined } : v;
  const json = Buffer.from(JSON.stringify(meta));
  const body = v.kind === 'entry' ? v.body : null;
  const out = Buffer.allocUnsafe(4 + json.length + (body?.length ?? 0));
  out.writeUInt32BE(json.length, 0);
  json.copy(out, 4);
  if (body) body.copy(out, 4 + json.length);
  return out;
}

/** The stored value, or undefined when the bytes are not one (foreign or truncated key). */
export function decodeValue(buf: Buffer): StoredValue | undefined {
  if (buf.length < 4) return undefined;
  const n = buf.readUInt32BE(0);
  if (4 + n > buf.length) return undefined;
  let meta: unknown;
  try {
    meta = JSON.parse(buf.toString('utf8', 4, 4 + n));
  } catch {
    return undefined;
  }
  const m = meta as { kind?: unknown; status?: unknown };
  if (m.kind === 'vary') return m as unknown as StoredValue;
  if (m.kind !== 'entry' || typeof m.status !== 'number') return undefined;
  // a view, not a copy: a decoded entry answers one request and is dropped
  return { ...(m as CacheEntry), body: buf.subarray(4 + n) };
}
