import { afterEach, describe, expect, it } from 'vitest';
import { echo, h, send, startRig, type Rig } from './harness.js';

// GET reads of assessments are cached; a POST to the echo endpoint stands for
// any write whose route lists `invalidates` (its own URL is another one).
const POLICY = `caches:
  c: { ttl: 1h }
routes:
  - match: { path: /api/v1/assessments/*, methods: [GET, HEAD] }
    cache: c
  - match: { path: /api/v1/echo, methods: [GET, HEAD] }
    cache: c
  - match: { path: /api/v1/echo, methods: [POST] }
    invalidates: [/api/v1/assessments/*]
`;

async function createAssessment(appUrl: string): Promise<string> {
  const r = await send(appUrl, '/api/v1/assessments', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ candidate_id: 'c1', answers: [{ question_id: 'q1', answer: 'a' }] }),
  });
  return (JSON.parse(r.body) as { id: string }).id;
}

describe('a route with invalidates', () => {
  let rig: Rig;
  afterEach(() => rig.close());

  it('evicts the matching entries once the app answered 2xx, and only those', async () => {
    rig = await startRig(POLICY);
    const id = await createAssessment(rig.app.url);
    const read = `/api/v1/assessments/${id}`;
    const other = echo({ n: 1 });
    await send(rig.proxy.url, read);
    await send(rig.proxy.url, other);
    expect(h(await send(rig.proxy.url, read), 'x-cache')).toBe('HIT');

    // a failed write evicts nothing
    const failed = await send(rig.proxy.url, echo({ status: 400 }), { method: 'POST', body: '{}' });
    expect(failed.status).toBe(400);
    expect(h(await send(rig.proxy.url, read), 'x-cache')).toBe('HIT');

    const ok = await send(rig.proxy.url, echo(), { method: 'POST', body: '{}' });
    expect(ok.status).toBe(200);
    expect(h(await send(rig.proxy.url, read), 'x-cache')).toBe('MISS');
    // an entry outside the pattern stays
    expect(h(await send(rig.proxy.url, other), 'x-cache')).toBe('HIT');
  });

  it('any successful unsafe request evicts its own URL (RFC 9111 §4.4)', async () => {
    rig = await startRig(POLICY);
    const path = echo({ n: 2 });
    await send(rig.proxy.url, path);
    expect(h(await send(rig.proxy.url, path), 'x-cache')).toBe('HIT');
    await send(rig.proxy.url, path, { method: 'POST', body: '{}' });
    expect(h(await send(rig.proxy.url, path), 'x-cache')).toBe('MISS');
  });
});
