// Tag generation: the most frequent keywords of a text, deterministically
// ordered (count descending, then alphabetically).

import { invalid, readJsonObject, sendJson, type Ctx } from '../http.js';
import type { RouteDef } from '../router.js';
import { requireString } from './validate.js';

const TEXT_MAX = 100_000;
const DEFAULT_TAGS = 5;
const MAX_TAGS = 20;

const STOPWORDS = new Set(
  ('the and for are but not you all any can had her was one our out has him his how its may new now old see ' +
    'two who did get let put say she too use that with have this will your from they been were what when where ' +
    'which their there then than them these those would could should about into over also just only some such ' +
    'very more most other each because while being does doing'
  ).split(' '),
);

export function generateTags(text: string, limit: number): string[] {
  const counts = new Map<string, number>();
  for (const word of text.toLowerCase().match(/[a-z][a-z0-9]*(?:-[a-z0-9]+)*/g) ?? []) {
    if (word.length < 3 || STOPWORDS.has(word)) continue;
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return [...counts]
    .sort(([a, ca], [b, cb]) => cb - ca || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, limit)
    .map(([word]) => word);
}

async function generate(ctx: Ctx): Promise<void> {
  const body = await readJsonObject(ctx);
  const text = requireString(body, 'text', TEXT_MAX);
  const limit = body.limit ?? DEFAULT_TAGS;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_TAGS) {
    throw invalid('limit', `limit must be an integer between 1 and ${MAX_TAGS}`);
  }
  sendJson(ctx.res, 200, { tags: generateTags(text, limit) });
}

export const tagRoutes: RouteDef[] = [{ pattern: '/api/v1/tags/generate', methods: { POST: generate } }];
