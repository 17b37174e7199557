import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scoreAnswers } from '../../app/routes/assessments.js';
import { startHarness, type Harness } from './harness.js';

const answers = [
  { question_id: 'q1', answer: 'A binary heap keeps the minimum at the root.' },
  { question_id: 'q2', answer: 'O(log n) insert and pop.' },
];

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

describe('POST /api/v1/assessments', () => {
  it('stores the assessment and answers 201 with a Location', async () => {
    const res = await h.call('POST', '/api/v1/assessments', { body: { candidate_id: 'cand-1', answers } });
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json).toMatchObject({ candidate_id: 'cand-1', answers_count: 2, max_score: 100, answers });
    expect(res.headers.location).toBe(`/api/v1/assessments/${res.json.id}`);
    const read = await h.call('GET', res.headers.location as string);
    expect(read.status).toBe(200);
    expect(read.json).toEqual(res.json);
  });

  it('scores deterministically: same answers, same score', async () => {
    const a = await h.call('POST', '/api/v1/assessments', { body: { candidate_id: 'c1', answers } });
    const b = await h.call('POST', '/api/v1/assessments', { body: { candidate_id: 'c2', answers } });
    expect(a.json.id).not.toBe(b.json.id);
    expect(a.json.score).toBe(b.json.score);
    expect(a.json.score).toBe(scoreAnswers(answers).score);
    expect(Number.isInteger(a.json.score) && a.json.score >= 0 && a.json.score <= 100).toBe(true);
  });

  it('derives the score from the answers', () => {
    const scores = new Set(Array.from({ length: 20 }, (_, i) => scoreAnswers([{ question_id: 'q', answer: `a${i}` }]).score));
    expect(scores.size).toBeGreaterThan(1);
    expect(scoreAnswers(answers)).toEqual(scoreAnswers(answers.map((a) => ({ ...a }))));
  });

  it.each([
    ['unparsable JSON', '{"candidate_id": ', 'body', 'invalid_json'],
    ['a JSON array', '[]', 'body', 'validation_error'],
    ['no candidate_id', JSON.stringify({ answers }), 'candidate_id', 'validation_error'],
    ['an empty candidate_id', JSON.stringify({ candidate_id: '', answers }), 'candidate_id', 'validation_error'],
    ['a long candidate_id', JSON.stringify({ candidate_id: 'x'.repeat(129), answers }), 'candidate_id', 'validation_error'],
    ['no answers', JSON.stringify({ candidate_id: 'c' }), 'answers', 'validation_error'],
    ['empty answers', JSON.stringify({ candidate_id: 'c', answers: [] }), 'answers', 'validation_error'],
    ['201 answers', JSON.stringify({ candidate_id: 'c', answers: Array(201).fill(answers[0]) }), 'answers', 'validation_error'],
    ['a non-object answer', JSON.stringify({ candidate_id: 'c', answers: [answers[0], 'x'] }), 'answers[1]', 'validation_error'],
    ['a numeric question_id', JSON.stringify({ candidate_id: 'c', answers: [{ question_id: 7, answer: 'a' }] }), 'answers[0].question_id', 'validation_error'],
    ['a long answer', JSON.stringify({ candidate_id: 'c', answers: [{ question_id: 'q', answer: 'a'.repeat(10_001) }] }), 'answers[0].answer', 'validation_error'],
  ])('answers 400 naming the field for %s', async (_, body, field, error) => {
    const res = await h.call('POST', '/api/v1/assessments', { body, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error, field });
    expect(typeof res.json.message).toBe('string');
  });

  it('accepts an empty answer text', async () => {
    const res = await h.call('POST', '/api/v1/assessments', { body: { candidate_id: 'c', answers: [{ question_id: 'q', answer: '' }] } });
    expect(res.status).toBe(201);
  });

  it('answers 413 for a JSON body over 1 MiB', async () => {
    const res = await h.call('POST', '/api/v1/assessments', { body: 'x'.repeat(1024 * 1024 + 1) });
    expect(res.status).toBe(413);
    expect(res.json.error).toBe('payload_too_large');
  });
});

describe('GET /api/v1/assessments/:id', () => {
  async function create(): Promise<string> {
    const res = await h.call('POST', '/api/v1/assessments', { body: { candidate_id: 'c', answers } });
    return res.json.id as string;
  }

  it('answers 404 JSON for an unknown id', async () => {
    const res = await h.call('GET', '/api/v1/assessments/nope');
    expect(res.status).toBe(404);
    expect(res.json.error).toBe('not_found');
  });

  it('sends a strong ETag and Last-Modified, and no Cache-Control', async () => {
    const id = await create();
    const a = await h.call('GET', `/api/v1/assessments/${id}`);
    const b = await h.call('GET', `/api/v1/assessments/${id}`);
    expect(a.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(b.headers.etag).toBe(a.headers.etag);
    expect(new Date(a.headers['last-modified'] as string).getTime()).toBe(Math.floor(Date.parse(a.json.created_at) / 1000) * 1000);
    expect(a.headers['cache-control']).toBeUndefined();
    const other = await h.call('GET', `/api/v1/assessments/${await create()}`);
    expect(other.headers.etag).not.toBe(a.headers.etag);
  });

  it.each([
    ['the same tag', (etag: string) => etag],
    ['a weak form of the tag', (etag: string) => `W/${etag}`],
    ['a list holding the tag', (etag: string) => `"other", ${etag}`],
    ['*', () => '*'],
  ])('answers 304 to If-None-Match with %s', async (_, header) => {
    const id = await create();
    const first = await h.call('GET', `/api/v1/assessments/${id}`);
    const etag = first.headers.etag as string;
    const res = await h.call('GET', `/api/v1/assessments/${id}`, { headers: { 'if-none-match': header(etag) } });
    expect(res.status).toBe(304);
    expect(res.text).toBe('');
    expect(res.headers.etag).toBe(etag);
    expect(res.headers['last-modified']).toBe(first.headers['last-modified']);
  });

  it('answers 200 to If-None-Match with another tag, even with a matching If-Modified-Since', async () => {
    const id = await create();
    const first = await h.call('GET', `/api/v1/assessments/${id}`);
    const res = await h.call('GET', `/api/v1/assessments/${id}`, {
      headers: { 'if-none-match': '"other"', 'if-modified-since': first.headers['last-modified'] as string },
    });
    expect(res.status).toBe(200);
  });

  it('honours If-Modified-Since', async () => {
    const id = await create();
    const first = await h.call('GET', `/api/v1/assessments/${id}`);
    const lastModified = Date.parse(first.headers['last-modified'] as string);
    const since = (ms: number) => ({ headers: { 'if-modified-since': new Date(ms).toUTCString() } });
    expect((await h.call('GET', `/api/v1/assessments/${id}`, since(lastModified))).status).toBe(304);
    expect((await h.call('GET', `/api/v1/assessments/${id}`, since(lastModified + 60_000))).status).toBe(304);
    expect((await h.call('GET', `/api/v1/assessments/${id}`, since(lastModified - 1000))).status).toBe(200);
    const garbage = await h.call('GET', `/api/v1/assessments/${id}`, { headers: { 'if-modified-since': 'yesterday' } });
    expect(garbage.status).toBe(200);
  });

  it('answers HEAD with the GET headers and no body', async () => {
    const id = await create();
    const get = await h.call('GET', `/api/v1/assessments/${id}`);
    const head = await h.call('HEAD', `/api/v1/assessments/${id}`);
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(head.headers.etag).toBe(get.headers.etag);
    expect(head.headers['content-length']).toBe(get.headers['content-length']);
  });
});

describe('GET /api/v1/assessments', () => {
  it('lists in creation order, filtered by candidate_id and limited', async () => {
    for (const c of ['a', 'b', 'a']) await h.call('POST', '/api/v1/assessments', { body: { candidate_id: c, answers } });
    const all = await h.call('GET', '/api/v1/assessments');
    expect(all.json.total).toBe(3);
    expect(all.json.items.map((a: { candidate_id: string }) => a.candidate_id)).toEqual(['a', 'b', 'a']);
    const onlyA = await h.call('GET', '/api/v1/assessments?candidate_id=a&limit=1');
    expect(onlyA.json.total).toBe(2);
    expect(onlyA.json.items).toHaveLength(1);
    const bad = await h.call('GET', '/api/v1/assessments?limit=0');
    expect(bad.status).toBe(400);
    expect(bad.json.field).toBe('limit');
  });

  it('answers 405 with Allow for another method', async () => {
    const res = await h.call('DELETE', '/api/v1/assessments');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD, POST');
    expect(res.json.error).toBe('method_not_allowed');
  });
});
