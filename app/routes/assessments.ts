// Assessments: submit answers, get a deterministic score, read it back with
// ordinary HTTP validators (ETag, Last-Modified) and no Cache-Control.

import { createHash } from 'node:crypto';
import { intParam, invalid, readJsonObject, sendCurrent, sendJson, HttpError, type Ctx } from '../http.js';
import type { RouteDef } from '../router.js';
import type { Answer } from '../store.js';
import { requireString } from './validate.js';

export const LIMITS = {
  idLength: 128,
  answers: 200,
  answerLength: 10_000,
} as const;

export const MAX_SCORE = 100;

/** Same answers, same score: the first 4 bytes of a sha256 over the canonical answers. */
export function scoreAnswers(answers: readonly Answer[]): { score: number; digest: string } {
  const canonical = JSON.stringify(answers.map((a) => [a.question_id, a.answer]));
  const hash = createHash('sha256').update(canonical).digest();
  return { score: hash.readUInt32BE(0) % (MAX_SCORE + 1), digest: hash.toString('hex') };
}

function parseAnswers(value: unknown): Answer[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > LIMITS.answers) {
    throw invalid('answers', `answers must be an array of 1 to ${LIMITS.answers} items`);
  }
  return value.map((item: unknown, i) => {
    const at = `answers[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw invalid(at, `${at} must be an object with question_id and answer`);
    }
    const fields = item as Record<string, unknown>;
    return {
      question_id: requireString(fields, 'question_id', LIMITS.idLength, `${at}.`),
      answer: requireString(fields, 'answer', LIMITS.answerLength, `${at}.`, 0),
    };
  });
}

async function create(ctx: Ctx): Promise<void> {
  const body = await readJsonObject(ctx);
  const candidateId = requireString(body, 'candidate_id', LIMITS.idLength);
  const answers = parseAnswers(body.answers);
  const { score, digest } = scoreAnswers(answers);
  const assessment = ctx.app.store.assessments.add((id, createdAt) => ({
    id,
    candidate_id: candidateId,
    score,
    max_score: MAX_SCORE,
    answers_count: answers.length,
    answers,
    digest,
    created_at: createdAt,
  }));
  sendJson(ctx.res, 201, assessment, { location: `/api/v1/assessments/${assessment.id}` });
}

function read(ctx: Ctx): void {
  const id = ctx.params.id ?? '';
  const assessment = ctx.app.store.assessments.get(id);
  if (!assessment) throw new HttpError(404, 'not_found', `no assessment with id ${id}`);
  sendCurrent(ctx, assessment, new Date(assessment.created_at));
}

function list(ctx: Ctx): void {
  const limit = intParam(ctx.url, 'limit', 1, 1000, 100);
  const candidate = ctx.url.searchParams.get('candidate_id');
  const { items, total } = ctx.app.store.assessments.list(
    limit,
    candidate === null ? undefined : (a) => a.candidate_id === candidate,
  );
  sendJson(ctx.res, 200, { items, total });
}

export const assessmentRoutes: RouteDef[] = [
  { pattern: '/api/v1/assessments', methods: { GET: list, POST: create } },
  { pattern: '/api/v1/assessments/:id', methods: { GET: read } },
];
