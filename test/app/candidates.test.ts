import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

describe('candidates', () => {
  it('creates, reads, lists and deletes', async () => {
    const created = await h.call('POST', '/api/v1/candidates', { body: { name: 'Ada', email: 'ada@example.com' } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'Ada', email: 'ada@example.com' });
    expect(created.headers.location).toBe(`/api/v1/candidates/${created.json.id}`);

    const read = await h.call('GET', created.headers.location as string);
    expect(read.status).toBe(200);
    expect(read.json).toEqual(created.json);
    expect(read.headers.etag).toBeDefined();
    expect(read.headers['cache-control']).toBeUndefined();
    const again = await h.call('GET', created.headers.location as string, { headers: { 'if-none-match': read.headers.etag as string } });
    expect(again.status).toBe(304);

    await h.call('POST', '/api/v1/candidates', { body: { name: 'Grace' } });
    const list = await h.call('GET', '/api/v1/candidates');
    expect(list.json.total).toBe(2);
    expect(list.json.items.map((c: { name: string }) => c.name)).toEqual(['Ada', 'Grace']);
    expect(list.json.items[1].email).toBeNull();

    const del = await h.call('DELETE', created.headers.location as string);
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    expect((await h.call('GET', created.headers.location as string)).status).toBe(404);
    expect((await h.call('DELETE', created.headers.location as string)).status).toBe(404);
    expect((await h.call('GET', '/api/v1/candidates')).json.total).toBe(1);
  });

  it.each([
    [{}, 'name'],
    [{ name: '' }, 'name'],
    [{ name: 'x'.repeat(201) }, 'name'],
    [{ name: 42 }, 'name'],
    [{ name: 'Ada', email: 'not-an-email' }, 'email'],
    [{ name: 'Ada', email: 5 }, 'email'],
  ])('answers 400 for %j naming %s', async (body, field) => {
    const res = await h.call('POST', '/api/v1/candidates', { body });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: 'validation_error', field });
  });

  it('answers 405 with Allow on the item path', async () => {
    const res = await h.call('PUT', '/api/v1/candidates/x', { body: {} });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('DELETE, GET, HEAD');
  });
});
