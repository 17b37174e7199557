import { describe, it, expect, vi } from 'vitest';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Exchange } from '../../src/pipeline/exchange.js';
import { corsStage, addVary, type CorsDef } from '../../src/pipeline/stages/cors.js';
import type { Reply } from '../../src/pipeline/types.js';

function exchange(method: string, headers: Record<string, string>): Exchange {
  return new Exchange({ method, headers } as unknown as IncomingMessage, {} as ServerResponse, 0n);
}

const base: CorsDef = {
  allow_origins: ['https://app.example'],
  allow_methods: ['GET'],
  allow_headers: [],
  expose_headers: [],
  allow_credentials: false,
  max_age: 600_000,
};

const ok = (headers: Reply['headers'] = {}) => vi.fn(async (): Promise<Reply> => ({ status: 200, headers: { ...headers }, body: null }));

describe('cors stage', () => {
  it('"*" without credentials answers "*" and adds no Vary', async () => {
    const next = ok();
    const r = await corsStage({ ...base, allow_origins: ['*'] })(next)(exchange('GET', { origin: 'https://any.example' }));
    expect(r.headers['access-control-allow-origin']).toBe('*');
    expect(r.headers.vary).toBeUndefined();
    expect(r.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('with credentials the origin is echoed, never "*"', async () => {
    // The schema refuses "*" with credentials; the stage is safe even if handed both.
    const r = await corsStage({ ...base, allow_origins: ['*'], allow_credentials: true })(ok())(exchange('GET', { origin: 'https://any.example' }));
    expect(r.headers['access-control-allow-origin']).toBe('https://any.example');
    expect(r.headers['access-control-allow-credentials']).toBe('true');
    expect(r.headers.vary).toBe('Origin');
  });

  it('origins compare case-insensitively; "null" and look-alikes are refused', async () => {
    const stage = corsStage({ ...base, allow_origins: ['https://App.Example'] });
    expect((await stage(ok())(exchange('GET', { origin: 'https://app.example' }))).headers['access-control-allow-origin']).toBe('https://app.example');
    for (const o of ['null', 'https://app.example.evil', 'https://evilapp.example', 'http://app.example', 'https://app.example:8443']) {
      expect((await stage(ok())(exchange('GET', { origin: o }))).headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('a preflight never calls next; other OPTIONS do', async () => {
    const next = ok();
    const stage = corsStage(base)(next);
    const pre = await stage(exchange('OPTIONS', { origin: 'https://app.example', 'access-control-request-method': 'GET' }));
    expect(pre.status).toBe(204);
    expect(pre.body).toBeNull();
    expect(pre.headers['access-control-allow-headers']).toBeUndefined(); // none configured
    expect(next).not.toHaveBeenCalled();
    await stage(exchange('OPTIONS', { origin: 'https://app.example' }));
    await stage(exchange('OPTIONS', { 'access-control-request-method': 'GET' }));
    expect(next).toHaveBeenCalledTimes(2);
  });

  it('replaces every access-control-* header the app set', async () => {
    const next = ok({ 'access-control-allow-origin': '*', 'access-control-allow-methods': 'DELETE', 'access-control-max-age': '999999' });
    const r = await corsStage(base)(next)(exchange('GET', { origin: 'https://evil.example' }));
    expect(Object.keys(r.headers).filter((k) => k.startsWith('access-control-'))).toEqual([]);
  });
});

describe('addVary', () => {
  it.each([
    [undefined, 'Origin'],
    ['Accept', 'Accept, Origin'],
    ['accept, origin', 'accept, origin'],
    ['*', '*'],
    [['Accept', 'Accept-Encoding'], 'Accept, Accept-Encoding, Origin'],
  ])('%j → %j', (before, after) => {
    const h = (before === undefined ? {} : { vary: before }) as Reply['headers'];
    addVary(h, 'Origin');
    expect(h.vary).toBe(after);
  });
});
