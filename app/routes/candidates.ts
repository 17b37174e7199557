// Candidates: create, list, read (with validators), delete.

import { intParam, invalid, readJsonObject, sendCurrent, sendJson, HttpError, type Ctx } from '../http.js';
import type { RouteDef } from '../router.js';
import { optionalString, requireString } from './validate.js';

const NAME_MAX = 200;
const EMAIL_MAX = 254;

async function create(ctx: Ctx): Promise<void> {
  const body = await readJsonObject(ctx);
  const name = requireString(body, 'name', NAME_MAX);
  const email = optionalString(body, 'email', EMAIL_MAX);
  if (email !== null && !/^[^@\s]+@[^@\s]+$/.test(email)) {
    throw invalid('email', 'email must look like name@domain');
  }
  const candidate = ctx.app.store.candidates.add((id, createdAt) => ({ id, name, email, created_at: createdAt }));
  sendJson(ctx.res, 201, candidate, { location: `/api/v1/candidates/${candidate.id}` });
}

function find(ctx: Ctx): string {
  const id = ctx.params.id ?? '';
  if (!ctx.app.store.candidates.get(id)) throw new HttpError(404, 'not_found', `no candidate with id ${id}`);
  return id;
}

function read(ctx: Ctx): void {
  const candidate = ctx.app.store.candidates.get(find(ctx));
  if (candidate) sendCurrent(ctx, candidate, new Date(candidate.created_at));
}

function remove(ctx: Ctx): void {
  ctx.app.store.candidates.delete(find(ctx));
  ctx.res.writeHead(204);
  ctx.res.end();
}

function list(ctx: Ctx): void {
  const limit = intParam(ctx.url, 'limit', 1, 1000, 100);
  sendJson(ctx.res, 200, ctx.app.store.candidates.list(limit));
}

export const candidateRoutes: RouteDef[] = [
  { pattern: '/api/v1/candidates', methods: { GET: list, POST: create } },
  { pattern: '/api/v1/candidates/:id', methods: { GET: read, DELETE: remove } },
];
