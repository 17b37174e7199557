// File upload: the body is hashed and counted as it streams in, never held
// whole in memory.

import { createHash } from 'node:crypto';
import { bodyChunks, sendJson, type Ctx } from '../http.js';
import type { RouteDef } from '../router.js';

async function upload(ctx: Ctx): Promise<void> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of bodyChunks(ctx)) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  sendJson(ctx.res, 200, { bytes, sha256: hash.digest('hex') });
}

export const fileRoutes: RouteDef[] = [{ pattern: '/api/v1/files/upload', methods: { POST: upload } }];
