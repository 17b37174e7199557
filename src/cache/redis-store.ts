import type { Redis } from 'ioredis';
import { decodeValue, encodeValue } from './codec.js';
import { DELETE_LUA, SET_LUA, STATS_LUA } from './redis-lua.js';
import type { CacheStore, KeyMatcher, StoreStats, StoredValue } from './types.js';

const SET = 'sonoGuardCacheSet';
const DEL = 'sonoGuardCacheDelete';
const STATS = 'sonoGuardCacheStats';
type Args = Array<string | number | Buffer>;
type ScriptClient = Redis & {
  [SET](...a: Args): Promise<number>;
  [DEL](...a: Args): Promise<number>;
  [STATS](...a: Args): Promise<[number, number]>;
};

/** Members read per ZRANGEBYLEX page, and deleted per script call, during an eviction. */
const PAGE = 500;
const TOP = Buffer.from([0xff]);

/**
 * Entries shared by every replica through Redis: one key per entry holding
 * the whole response (see codec.ts) with a PX TTL, plus per-cache indexes
 * (redis-lua.ts) so a purge or invalidation reads only the key range under
 * its literal prefix, then tests each key exactly in JS, instead of SCANning
 * the whole keyspace (which also holds rate-limit counters and other caches)
 * on every unsafe request.
 *
 * Calls reject on any Redis failure: the guarded store around it turns a
 * failure into the memory fallback.
 */
export class RedisCacheStore implements CacheStore {
  private readonly base: string;
  private readonly index: string;
  private readonly sizes: string;
  private readonly bytes: string;
  private readonly lex: string;

  constructor(
    private readonly client: Redis,
    prefix: string,
    cacheName: string,
  ) {
    this.base = `${prefix}{cache:${cacheName}}:`;
    this.index = `${this.base}index`;
    this.sizes = `${this.base}sizes`;
    this.bytes = `${this.base}bytes`;
    this.lex = `${this.base}lex`;
    const c = client as Partial<ScriptClient> & Redis;
    if (typeof c[SET] !== 'function') c.defineCommand(SET, { lua: SET_LUA });
    if (typeof c[DEL] !== 'function') c.defineCommand(DEL, { lua: DELETE_LUA });
    if (typeof c[STATS] !== 'function') c.defineCommand(STATS, { lua: STATS_LUA });
  }

  private get c(): ScriptClient {
    return this.client as ScriptClient;
  }

  private entryKey(key: string): string {
    return `${this.base}e:${key}`;
  }

  async get(key: string): Promise<StoredValue | undefined> {
    const buf = await this.client.getBuffer(this.entryKey(key));
    return buf === null ? undefined : decodeValue(buf);
  }

  async set(key: string, value: StoredValue, ttlMs: number): Promise<void> {
    const ttl = Math.ceil(ttlMs);
    if (ttl <= 0) return this.delete(key);
    const buf = encodeValue(value);
    await this.c[SET](5, this.index, this.sizes, this.bytes, this.lex, this.entryKey(key), key, buf, ttl, buf.length);
  }

  async delete(key: string): Promise<void> {
    await this.c[DEL](5, this.index, this.sizes, this.bytes, this.lex, this.entryKey(key), key);
  }

  async evict(m: KeyMatcher): Promise<number> {
    const prefix = Buffer.from(m.prefix);
    const max = Buffer.concat([Buffer.from('['), prefix, TOP]);
    let min: Buffer | string = Buffer.concat([Buffer.from('['), prefix]);
    let n = 0;
    for (;;) {
      const page: string[] = await this.client.zrangebylex(this.lex, min, max, 'LIMIT', 0, PAGE);
      if (page.length === 0) return n;
      const members = page.filter((k) => m.test(k));
      if (members.length > 0) n += await this.deleteMany(members);
      if (page.length < PAGE) return n;
      min = `(${page[page.length - 1]!}`;
    }
  }

  private deleteMany(members: string[]): Promise<number> {
    const args: Args = [4 + members.length, this.index, this.sizes, this.bytes, this.lex];
    for (const k of members) args.push(this.entryKey(k));
    args.push(...members);
    return this.c[DEL](...args);
  }

  async stats(): Promise<StoreStats> {
    const [entries, bytes] = await this.c[STATS](4, this.index, this.sizes, this.bytes, this.lex);
    return { entries: Number(entries), bytes: Number(bytes) };
  }

  /** The connection is shared (rate limits, other caches) and closed by its owner. */
  close(): void {}
}
