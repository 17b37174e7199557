import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateTags } from '../../app/routes/tags.js';
import { startHarness, type Harness } from './harness.js';

const text =
  'Python developers love Python. The heap and the heap sort: a heap is a tree. ' +
  'Sorting with a tree-based heap in Python is fast; a tree is everywhere.';

describe('generateTags', () => {
  it('ranks by count, then alphabetically, without stopwords or short words', () => {
    expect(generateTags(text, 3)).toEqual(['heap', 'python', 'tree']);
    expect(generateTags('the and for of a an', 5)).toEqual([]);
    expect(generateTags('zeta alpha zeta alpha beta', 5)).toEqual(['alpha', 'zeta', 'beta']);
  });
});

describe('POST /api/v1/tags/generate', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('answers the same tags for the same text', async () => {
    const a = await h.call('POST', '/api/v1/tags/generate', { body: { text } });
    const b = await h.call('POST', '/api/v1/tags/generate', { body: { text } });
    expect(a.status).toBe(200);
    expect(a.json.tags).toEqual(generateTags(text, 5));
    expect(b.json).toEqual(a.json);
    const two = await h.call('POST', '/api/v1/tags/generate', { body: { text, limit: 2 } });
    expect(two.json.tags).toEqual(['heap', 'python']);
  });

  it.each([
    [{}, 'text'],
    [{ text: '' }, 'text'],
    [{ text: 'ok', limit: 0 }, 'limit'],
    [{ text: 'ok', limit: 'many' }, 'limit'],
  ])('answers 400 for %j naming %s', async (body, field) => {
    const res = await h.call('POST', '/api/v1/tags/generate', { body });
    expect(res.status).toBe(400);
    expect(res.json.field).toBe(field);
  });
});
