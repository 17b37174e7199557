// Liveness of the app itself. Faults apply here like anywhere else, so a
// `fail` fault makes health answer 503 (see server.ts).

import { sendJson, type Ctx } from '../http.js';
import type { RouteDef } from '../router.js';

export const HEALTH_PATH = '/health';

function health(ctx: Ctx): void {
  sendJson(ctx.res, 200, { status: 'healthy' });
}

export const healthRoutes: RouteDef[] = [{ pattern: HEALTH_PATH, methods: { GET: health } }];
