/**
 * A string-keyed map for entries that come and go at request rate.
 *
 * V8's Map and Set link each hash table they replace to its successor (so
 * live iterators can follow). With an add and a delete per event, a table is
 * replaced every few dozen events; once one of them has reached the old
 * generation, that chain keeps every later table, and the values they still
 * held, alive through scavenges, so they are promoted in turn
 * (`node bench/gc-churn.js`: ~4.7 MB promoted per scavenge, against ~140 kB
 * for the entries alone or in a null-prototype object).
 * A null-prototype object in dictionary mode grows and shrinks its table
 * without such a chain. Iteration is not offered: it is not needed here.
 */
export class StringDict<V> {
  private entries: Record<string, V> = Object.create(null) as Record<string, V>;
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: string): V | undefined {
    return this.entries[key];
  }

  has(key: string): boolean {
    return key in this.entries;
  }

  set(key: string, value: V): void {
    if (!(key in this.entries)) this.count++;
    this.entries[key] = value;
  }

  delete(key: string): boolean {
    if (!(key in this.entries)) return false;
    delete this.entries[key];
    this.count--;
    return true;
  }

  clear(): void {
    this.entries = Object.create(null) as Record<string, V>;
    this.count = 0;
  }
}
