// In-memory storage for assessments and candidates. Each collection keeps at
// most MAX_ITEMS records (oldest dropped first) so a long benchmark cannot grow
// the process without bound.

import { randomUUID } from 'node:crypto';

export interface Answer {
  question_id: string;
  answer: string;
}

export interface Assessment {
  id: string;
  candidate_id: string;
  score: number;
  max_score: number;
  answers_count: number;
  answers: Answer[];
  /** sha256 (hex) of the canonical answers; the score is derived from it. */
  digest: string;
  created_at: string;
}

export interface Candidate {
  id: string;
  name: string;
  email: string | null;
  created_at: string;
}

export const MAX_ITEMS = 50_000;

export class Collection<T extends { id: string }> {
  #items = new Map<string, T>();

  add(make: (id: string, createdAt: string) => T): T {
    const item = make(randomUUID(), new Date().toISOString());
    this.#items.set(item.id, item);
    if (this.#items.size > MAX_ITEMS) {
      const oldest = this.#items.keys().next();
      if (!oldest.done) this.#items.delete(oldest.value);
    }
    return item;
  }

  get(id: string): T | undefined {
    return this.#items.get(id);
  }

  delete(id: string): boolean {
    return this.#items.delete(id);
  }

  /** Items in creation order, those matching `keep`, at most `limit`. */
  list(limit: number, keep: (item: T) => boolean = () => true): { items: T[]; total: number } {
    const items: T[] = [];
    let total = 0;
    for (const item of this.#items.values()) {
      if (!keep(item)) continue;
      total += 1;
      if (items.length < limit) items.push(item);
    }
    return { items, total };
  }

  clear(): void {
    this.#items.clear();
  }
}

export class Store {
  readonly assessments = new Collection<Assessment>();
  readonly candidates = new Collection<Candidate>();

  clear(): void {
    this.assessments.clear();
    this.candidates.clear();
  }
}
