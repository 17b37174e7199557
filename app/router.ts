// Path patterns like /api/v1/assessments/:id, compiled once; 404 for an
// unknown path, 405 with Allow for a known path and the wrong method. HEAD is
// served by the GET handler (node:http leaves the body out).

import { HttpError, type Ctx, type Handler } from './http.js';

/** Handlers by method; '*' answers any method. */
export type Methods = Partial<Record<string, Handler>>;

export interface RouteDef {
  pattern: string;
  methods: Methods;
}

interface Compiled {
  segments: string[];
  methods: Methods;
  allow: string;
}

export type Dispatch = (ctx: Ctx) => Promise<void>;

export function compileRoutes(defs: readonly RouteDef[]): Dispatch {
  const routes: Compiled[] = defs.map(({ pattern, methods }) => {
    const names = Object.keys(methods).filter((m) => m !== '*');
    if (names.includes('GET') && !names.includes('HEAD')) names.push('HEAD');
    return { segments: split(pattern), methods, allow: names.sort().join(', ') };
  });

  return async (ctx) => {
    const parts = split(ctx.url.pathname);
    for (const route of routes) {
      const params = match(route.segments, parts);
      if (!params) continue;
      const method = ctx.req.method ?? 'GET';
      const handler =
        route.methods[method] ?? (method === 'HEAD' ? route.methods.GET : undefined) ?? route.methods['*'];
      if (!handler) {
        ctx.res.setHeader('allow', route.allow);
        throw new HttpError(405, 'method_not_allowed', `${method} is not allowed on ${ctx.url.pathname}; allowed: ${route.allow}`);
      }
      ctx.params = params;
      await handler(ctx);
      return;
    }
    throw new HttpError(404, 'not_found', `no resource at ${ctx.url.pathname}`);
  };
}

function split(path: string): string[] {
  return path.split('/').slice(1);
}

function match(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i] as string;
    const got = parts[i] as string;
    if (want.startsWith(':')) {
      if (got === '') return undefined;
      try {
        params[want.slice(1)] = decodeURIComponent(got);
      } catch {
        return undefined;
      }
    } else if (want !== got) return undefined;
  }
  return params;
}
