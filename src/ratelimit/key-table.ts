/**
 * Bounded per-policy key → GCRA state table for the memory store.
 *
 * Hand-written rather than rate-limiter-flexible's RateLimiterMemory, which
 * keeps one timer and ~436 bytes per key with no bound (one million spoofed
 * IPs: +420 MiB heap). Here a key is one Map entry pointing at a slot in
 * typed arrays: no timer, no object per key, no allocation on a hit of a
 * known key.
 *
 * Eviction when `maxKeys` is reached: the key whose state is closest to a
 * fresh key goes first — a min-heap on `fullAt`, the time every window of the
 * key is fully refilled. A key with `fullAt ≤ now` equals a fresh key, so
 * evicting it loses nothing; full keys therefore always go before any partly
 * used one. When none is full, the key nearest to full goes (the eviction that
 * forgives the fewest requests). Unlike LRU, this never evicts a throttled
 * key before a barely used one, so spraying new keys cannot reset a
 * throttled client's budget.
 */
export class KeyTable {
  readonly nWindows: number;
  readonly maxKeys: number;
  /** Forced evictions so far (the table was full). */
  evictions = 0;
  private readonly index = new Map<string, number>();
  private keys: string[] = [];
  private tat: Float64Array;
  private fullAt: Float64Array;
  /** Heap position → slot, ordered by fullAt (smallest at 0). */
  private heap: Int32Array;
  /** Slot → heap position. */
  private pos: Int32Array;
  private cap: number;
  private count = 0;
  private readonly onEvict: (() => void) | undefined;

  constructor(nWindows: number, maxKeys: number, onEvict?: () => void) {
    this.nWindows = nWindows;
    this.maxKeys = Math.max(1, Math.floor(maxKeys));
    this.onEvict = onEvict;
    this.cap = Math.min(this.maxKeys, 1024);
    this.tat = new Float64Array(this.cap * nWindows);
    this.fullAt = new Float64Array(this.cap);
    this.heap = new Int32Array(this.cap);
    this.pos = new Int32Array(this.cap);
  }

  get size(): number {
    return this.count;
  }

  /** Slot of a known key, or -1. */
  slotOf(key: string): number {
    const s = this.index.get(key);
    return s === undefined ? -1 : s;
  }

  /** Stored TAT of window `w` for a slot from `slotOf`. */
  tatAt(slot: number, w: number): number {
    return this.tat[slot * this.nWindows + w]!;
  }

  /** Store new TATs for `key` (`slot` from `slotOf`, -1 to insert; may evict). */
  write(key: string, slot: number, tats: ArrayLike<number>, now: number): void {
    const inserted = slot < 0;
    if (inserted) slot = this.insert(key, now);
    const base = slot * this.nWindows;
    let f = -Infinity;
    for (let w = 0; w < this.nWindows; w++) {
      const t = tats[w]!;
      this.tat[base + w] = t;
      if (t > f) f = t;
    }
    const old = this.fullAt[slot]!;
    this.fullAt[slot] = f;
    const i = this.pos[slot]!;
    if (inserted || f < old) this.up(i);
    this.down(this.pos[slot]!);
  }

  /** Forget every key. */
  clear(): void {
    this.index.clear();
    this.keys = [];
    this.count = 0;
  }

  private insert(key: string, now: number): number {
    let slot: number;
    if (this.count < this.maxKeys) {
      if (this.count === this.cap) this.grow();
      slot = this.count++;
      this.keys[slot] = key;
      this.heap[slot] = slot;
      this.pos[slot] = slot;
      this.fullAt[slot] = now;
    } else {
      slot = this.heap[0]!; // full first; else the one nearest to full
      this.index.delete(this.keys[slot]!);
      this.keys[slot] = key;
      this.evictions++;
      this.onEvict?.();
    }
    this.index.set(key, slot);
    return slot;
  }

  private grow(): void {
    const cap = Math.min(this.maxKeys, this.cap * 2);
    const tat = new Float64Array(cap * this.nWindows);
    tat.set(this.tat);
    this.tat = tat;
    const fullAt = new Float64Array(cap);
    fullAt.set(this.fullAt);
    this.fullAt = fullAt;
    const heap = new Int32Array(cap);
    heap.set(this.heap);
    this.heap = heap;
    const pos = new Int32Array(cap);
    pos.set(this.pos);
    this.pos = pos;
    this.cap = cap;
  }

  private up(i: number): void {
    const { heap, pos, fullAt } = this;
    const slot = heap[i]!;
    const f = fullAt[slot]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const ps = heap[p]!;
      if (fullAt[ps]! <= f) break;
      heap[i] = ps;
      pos[ps] = i;
      i = p;
    }
    heap[i] = slot;
    pos[slot] = i;
  }

  private down(i: number): void {
    const { heap, pos, fullAt } = this;
    const n = this.count;
    const slot = heap[i]!;
    const f = fullAt[slot]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && fullAt[heap[r]!]! < fullAt[heap[l]!]!) c = r;
      const cs = heap[c]!;
      if (fullAt[cs]! >= f) break;
      heap[i] = cs;
      pos[cs] = i;
      i = c;
    }
    heap[i] = slot;
    pos[slot] = i;
  }
}
