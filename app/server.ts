// The Sono-Eval assessment app: plain node:http, in-memory storage, and a
// fault switch. It carries no hardening (rate limits, timeouts, request ids):
// that is the proxy's job.

import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { FaultSwitch, isControlPath, type FaultConfig, type FaultMode, type ListenerControl } from './faults.js';
import { HttpError, sendError, sendJson, sleep, type AppState, type Ctx } from './http.js';
import { RequestLog } from './request-log.js';
import { compileRoutes, type Dispatch } from './router.js';
import { HEALTH_PATH } from './routes/health.js';
import { routes } from './routes/index.js';
import { Store } from './store.js';

export interface AppHandle {
  url: string;
  port: number;
  server: http.Server;
  faults: FaultSwitch;
  log: RequestLog;
  close(): Promise<void>;
}

export interface AppOptions {
  /** Default 0: a free port, see `AppHandle.port`. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  faults?: Partial<FaultConfig>;
  /** Requests whose entries (with headers) the request log keeps. Default 1,000; 0 keeps counts only. */
  requestLog?: number;
}

export async function startApp(opts: AppOptions = {}): Promise<AppHandle> {
  const host = opts.host ?? '127.0.0.1';
  let port = opts.port ?? 0;
  const sockets = new Set<Socket>();
  const controlSockets = new Set<Socket>(); // serving /__control/*: spared when the port closes

  const listener: ListenerControl = {
    start: () => listen(server, port, host),
    // Like a crashed process: the port refuses connections and open
    // connections drop (except one answering a control request).
    stop: async () => {
      server.close();
      for (const socket of sockets) if (!controlSockets.has(socket)) socket.destroy();
    },
  };
  const state: AppState = { store: new Store(), faults: new FaultSwitch(listener), log: new RequestLog(opts.requestLog) };
  const dispatch = compileRoutes(routes);

  const server = http.createServer((req, res) => {
    handle(state, dispatch, controlSockets, req, res).catch((err: unknown) => {
      if (req.socket.destroyed) return; // the client went away mid-request: nobody to answer
      console.error(`assessment app: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal_error', message: 'internal error' });
      else res.destroy();
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await listen(server, port, host);
  port = (server.address() as AddressInfo).port;
  if (opts.faults) await state.faults.set(opts.faults);

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    server,
    faults: state.faults,
    log: state.log,
    async close() {
      await state.faults.dispose();
      for (const socket of sockets) socket.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

async function handle(
  app: AppState,
  dispatch: Dispatch,
  controlSockets: Set<Socket>,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const url = parseTarget(req.url ?? '/');
  const control = url !== undefined && isControlPath(url.pathname);
  if (!control && app.faults.refusing) {
    req.socket.destroy(); // a keep-alive connection opened before the port closed
    return;
  }
  const aborter = new AbortController();
  // Only a response that closed unfinished means the client went away; an
  // abort() per request (an event and a DOMException each) was most of what
  // the app promoted to V8's old generation under load.
  res.once('close', () => {
    if (!res.writableFinished) aborter.abort();
  });
  const ctx: Ctx = { req, res, url: url ?? new URL('http://app.invalid/'), params: {}, entry: undefined, app, signal: aborter.signal };

  if (control) {
    controlSockets.add(req.socket);
    res.once('close', () => controlSockets.delete(req.socket));
  } else {
    const entry = app.log.record(req.method ?? 'GET', req.url ?? '/', req.headers);
    res.once('finish', () => (entry.status = res.statusCode));
    ctx.entry = entry;
    if (url && !(await applyFault(ctx, app.faults.pick(url.pathname)))) return;
  }
  try {
    if (!url) throw new HttpError(400, 'bad_request', 'the request target is not a valid URL');
    await dispatch(ctx);
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    sendError(ctx, err);
  }
}

/** Applies the fault picked for this request; true when the request should then be served normally. */
async function applyFault(ctx: Ctx, mode: FaultMode): Promise<boolean> {
  const config = ctx.app.faults.get();
  switch (mode) {
    case 'none':
    case 'refuse': // handled per connection, see handle()
      return true;
    case 'slow':
      return sleep(config.delayMs, ctx.signal);
    case 'fail': {
      const body =
        ctx.url.pathname === HEALTH_PATH
          ? { status: 'unhealthy' }
          : { error: 'fault_injected', message: `the assessment app is set to fail with ${config.status}` };
      sendJson(ctx.res, config.status, body);
      return false;
    }
    case 'hang':
      return false; // no answer until the client goes away or the app closes
    case 'reset':
      ctx.req.socket.resetAndDestroy();
      return false;
  }
}

function parseTarget(target: string): URL | undefined {
  try {
    return target.startsWith('/') ? new URL(`http://app.invalid${target}`) : new URL(target);
  } catch {
    return undefined;
  }
}
