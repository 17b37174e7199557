// /__control/*: the test harness's handle on the app. Never affected by
// faults and never counted in the request log.
//   GET  /__control/fault      the fault config (snake_case)
//   PUT  /__control/fault      a partial config; `duration_ms` reverts to mode none after that long
//                              (`refuse` defaults to 5000 ms, since the port is closed meanwhile)
//   GET  /__control/requests   the request log (`?path=PREFIX` to filter); DELETE clears it
//   POST /__control/reset      clear faults, the request log and stored data

import { checkFaultPatch, DEFAULT_REFUSE_MS, type FaultConfig, type FaultMode } from '../faults.js';
import { invalid, readJsonObject, sendJson, type Ctx } from '../http.js';
import type { RouteDef } from '../router.js';

export function faultJson(c: FaultConfig): Record<string, unknown> {
  return { mode: c.mode, delay_ms: c.delayMs, status: c.status, rate: c.rate, paths: c.paths };
}

const FIELDS: Record<string, keyof FaultConfig | 'durationMs'> = {
  mode: 'mode',
  delay_ms: 'delayMs',
  status: 'status',
  rate: 'rate',
  paths: 'paths',
  duration_ms: 'durationMs',
};

function parsePatch(body: Record<string, unknown>): { patch: Partial<FaultConfig>; durationMs?: number } {
  const patch: Partial<FaultConfig> = {};
  let durationMs: number | undefined;
  for (const [key, value] of Object.entries(body)) {
    const field = FIELDS[key];
    if (field === undefined) throw invalid(key, `unknown field ${key}; expected one of ${Object.keys(FIELDS).join(', ')}`);
    if (field === 'durationMs') {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 3_600_000) {
        throw invalid(key, 'duration_ms must be an integer between 1 and 3600000');
      }
      durationMs = value;
    } else if (field === 'mode' || field === 'paths') {
      if (typeof value !== 'string') throw invalid(key, `${key} must be a string`);
      if (field === 'mode') patch.mode = value as FaultMode;
      else patch.paths = value;
    } else {
      if (typeof value !== 'number') throw invalid(key, `${key} must be a number`);
      patch[field] = value;
    }
  }
  const checked = checkFaultPatch(patch);
  if (!checked.ok) throw invalid(checked.field, checked.message);
  return durationMs === undefined ? { patch } : { patch, durationMs };
}

async function putFault(ctx: Ctx): Promise<void> {
  const { patch, durationMs } = parsePatch(await readJsonObject(ctx));
  const faults = ctx.app.faults;
  const refuse = (patch.mode ?? faults.get().mode) === 'refuse';
  const opts = refuse ? { durationMs: durationMs ?? DEFAULT_REFUSE_MS } : durationMs === undefined ? {} : { durationMs };
  // The new config applies at once; closing the port (refuse) follows right
  // after this response, which closes its connection and is spared meanwhile.
  const applied = faults.set(patch, opts);
  applied.catch((err: unknown) => console.error(`fault switch: ${err instanceof Error ? err.message : String(err)}`));
  const body = { ...faultJson(faults.get()), ...(opts.durationMs === undefined ? {} : { duration_ms: opts.durationMs }) };
  sendJson(ctx.res, 200, body, refuse ? { connection: 'close' } : {});
}

function getRequests(ctx: Ctx): void {
  const prefix = ctx.url.searchParams.get('path') ?? '';
  const log = ctx.app.log;
  const entries = log.entries.filter((e) => e.url.startsWith(prefix));
  sendJson(ctx.res, 200, { count: log.count(prefix), entries });
}

async function reset(ctx: Ctx): Promise<void> {
  await ctx.app.faults.reset();
  ctx.app.log.clear();
  ctx.app.store.clear();
  ctx.res.writeHead(204);
  ctx.res.end();
}

function clearLog(ctx: Ctx): void {
  ctx.app.log.clear();
  ctx.res.writeHead(204);
  ctx.res.end();
}

export const controlRoutes: RouteDef[] = [
  { pattern: '/__control/fault', methods: { GET: (ctx) => sendJson(ctx.res, 200, faultJson(ctx.app.faults.get())), PUT: putFault } },
  { pattern: '/__control/requests', methods: { GET: getRequests, DELETE: clearLog } },
  { pattern: '/__control/reset', methods: { POST: reset } },
];

