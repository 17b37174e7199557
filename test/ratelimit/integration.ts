import { request } from 'undici';
import { until } from '../helpers/wait.js';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export async function send(url: string, headers: Record<string, string> = {}, method: 'GET' | 'POST' = 'GET', body?: string): Promise<Answer> {
  const r = await request(url, { method, headers, body: body ?? null });
  return { status: r.statusCode, headers: r.headers, body: await r.body.text() };
}

/** `n` requests, `concurrency` at a time; every answer in order. */
export async function burst(n: number, concurrency: number, one: (i: number) => Promise<Answer>): Promise<Answer[]> {
  const out: Answer[] = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await one(i);
    }
  }));
  return out;
}

export async function metric(adminUrl: string, line: string): Promise<number | undefined> {
  const text = (await send(`${adminUrl}/metrics`)).body;
  const found = text.split('\n').find((l) => l.startsWith(line + ' '));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

export async function system(adminUrl: string): Promise<{
  health: { components: Record<string, string> };
  rate_limits: Record<string, { limited_total: number }>;
}> {
  return JSON.parse((await send(`${adminUrl}/api/v1/status/system`)).body);
}

/** Poll until `cond` holds (a state change on a real clock), or fail after `ms`. */

export const statuses = (as: Answer[]) => as.map((a) => a.status);
export const count = (as: Answer[], status: number) => as.filter((a) => a.status === status).length;

export { until };
