/**
 * Stateful policy objects (limiters, breakers, caches, the upstream pool) kept
 * by kind and name together with the definition they were built from. A
 * reload that leaves a definition unchanged gets the same instance back, so
 * its state (counters, breaker state, cached entries) survives; a changed or
 * removed definition gets its old instance closed once the new config is live.
 */
export interface Closeable {
  close(): void | Promise<void>;
}

interface Slot {
  key: string;
  instance: Closeable;
}

export class StateRegistry {
  private slots = new Map<string, Slot>();
  private used = new Set<string>();

  /** Start a compile pass: instances not asked for before `sweep()` are closed. */
  begin(): void {
    this.used = new Set();
  }

  get<T extends Closeable>(kind: string, name: string, def: unknown, create: () => T): T {
    const id = `${kind}\u0000${name}`;
    const key = stableStringify(def);
    this.used.add(id);
    const slot = this.slots.get(id);
    if (slot && slot.key === key) return slot.instance as T;
    const instance = create();
    if (slot) this.retired.push(slot.instance);
    this.slots.set(id, { key, instance });
    return instance;
  }

  private retired: Closeable[] = [];

  /** After the new config is live: close replaced instances and those no longer named. */
  async sweep(): Promise<void> {
    for (const [id, slot] of this.slots) {
      if (!this.used.has(id)) {
        this.slots.delete(id);
        this.retired.push(slot.instance);
      }
    }
    const old = this.retired;
    this.retired = [];
    await Promise.allSettled(old.map((i) => i.close()));
  }

  async closeAll(): Promise<void> {
    const all = [...this.slots.values()].map((s) => s.instance).concat(this.retired);
    this.slots.clear();
    this.retired = [];
    await Promise.allSettled(all.map((i) => i.close()));
  }

  find<T>(kind: string, name: string): T | undefined {
    return this.slots.get(`${kind}\u0000${name}`)?.instance as T | undefined;
  }
}

function stableStringify(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === 'object' && !Array.isArray(val)
      ? Object.fromEntries(Object.entries(val as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : val,
  );
}
