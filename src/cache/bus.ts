import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { matcherFromSpec } from './key.js';
import type { KeyMatcher } from './types.js';

/** What a replica's near copies need to hear. */
export interface NearListener {
  /** Entries matching `m` were evicted from Redis by another replica. */
  evicted(m: KeyMatcher): void;
  /** Messages may have been missed (the subscription dropped): forget every near copy. */
  reset(): void;
}

/**
 * Evictions announced to every replica through Redis pub/sub, so each can
 * drop its near copies (shared-store.ts) of entries another replica purged or
 * invalidated. One subscriber connection per Redis store and prefix, shared by
 * every cache on it.
 *
 * `live` is true only while the subscription is up: a replica that could have
 * missed a message must not answer from a near copy, so losing the
 * subscription resets every listener, and near copies are bypassed until it is
 * back. Redis delivers a message to subscribers before it answers the
 * PUBLISH, so by the time the replica that purged has answered its client,
 * every subscribed replica has the message in its socket.
 */
export class InvalidationBus {
  readonly channel: string;
  live = false;
  private readonly origin = randomUUID();
  private readonly sub: Redis;
  private readonly listeners = new Map<string, Set<NearListener>>();
  private closed = false;

  constructor(
    private readonly client: Redis,
    prefix: string,
  ) {
    this.channel = `${prefix}cache-invalidations`;
    // A connection of its own: a subscribed connection takes no other commands.
    // It queues the SUBSCRIBE while connecting (the main client refuses to queue).
    this.sub = client.duplicate({ enableOfflineQueue: true, lazyConnect: true, autoResubscribe: false });
    this.sub.on('error', () => {}); // the main connection's guard reports Redis trouble
    this.sub.on('ready', () => void this.subscribe());
    this.sub.on('close', () => this.lost());
    this.sub.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.receive(message);
    });
    this.sub.connect().catch(() => {});
  }

  on(cache: string, l: NearListener): void {
    let set = this.listeners.get(cache);
    if (!set) this.listeners.set(cache, (set = new Set()));
    set.add(l);
  }

  off(cache: string, l: NearListener): void {
    this.listeners.get(cache)?.delete(l);
  }

  /** Tell the other replicas; resolves once Redis has handed the message to every subscriber. Never rejects. */
  async publish(cache: string, m: KeyMatcher): Promise<void> {
    try {
      await this.client.publish(this.channel, JSON.stringify({ o: this.origin, c: cache, m: m.spec }));
    } catch {
      // Redis is unreachable: every replica's subscription is down too, so none answers from a near copy.
    }
  }

  close(): void {
    this.closed = true;
    this.live = false;
    this.sub.disconnect();
  }

  private async subscribe(): Promise<void> {
    try {
      await this.sub.subscribe(this.channel);
      if (!this.closed) this.live = true;
    } catch {
      this.lost();
    }
  }

  private lost(): void {
    if (!this.live) return;
    this.live = false;
    for (const set of this.listeners.values()) for (const l of set) l.reset();
  }

  private receive(message: string): void {
    let msg: { o?: unknown; c?: unknown; m?: unknown };
    try {
      msg = JSON.parse(message) as typeof msg;
    } catch {
      return;
    }
    if (msg.o === this.origin || typeof msg.c !== 'string') return;
    const set = this.listeners.get(msg.c);
    if (!set) return;
    const m = matcherFromSpec(msg.m);
    // A message this version cannot read: forgetting everything is the safe reading.
    for (const l of set) if (m) l.evicted(m); else l.reset();
  }
}
