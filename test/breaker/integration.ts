import { request } from 'undici';
import { until } from '../helpers/wait.js';

export const BREAKER_POLICY = (opts: { openFor?: string; consecutive?: number; halfOpen?: number; route?: string } = {}): string => `
breakers:
  app:
    failure_rate: 50%
    window: 10
    min_calls: 4
    consecutive_failures: ${opts.consecutive ?? 3}
    slow_call: 5s
    open_for: ${opts.openFor ?? '400ms'}
    half_open_calls: ${opts.halfOpen ?? 2}
routes:
  - match: { path: /api/** }
    breaker: app
${opts.route ?? ''}`;

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export async function get(url: string, method = 'GET', body?: string): Promise<Answer> {
  const r = await request(url, { method, body: body ?? null, headers: body ? { 'content-type': 'application/json' } : {} });
  return { status: r.statusCode, headers: r.headers, body: await r.body.text() };
}

export async function breakerState(adminUrl: string, name = 'app'): Promise<{ state: string; failure_rate: number; opened_at: string | null } | undefined> {
  const r = await get(`${adminUrl}/api/v1/status/system`);
  const doc = JSON.parse(r.body) as { circuit_breakers: Record<string, { state: string; failure_rate: number; opened_at: string | null }> };
  return doc.circuit_breakers[name];
}

export async function metric(adminUrl: string, line: string): Promise<number | undefined> {
  const text = (await get(`${adminUrl}/metrics`)).body;
  const found = text.split('\n').find((l) => l.startsWith(line + ' '));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

/** Poll `cond` every 20 ms until true (a state change on the proxy's real clock), or fail after `ms`. */

export { until };
