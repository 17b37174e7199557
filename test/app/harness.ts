// Starts the assessment app on port 0 with its own undici Agent, and tears
// both down; every app test file uses it.

import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { startApp, type AppHandle, type AppOptions } from '../../app/server.js';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The parsed JSON body (undefined when empty or not JSON); loosely typed so tests read fields directly. */
  json: any;
}

export interface CallOptions {
  body?: string | Buffer | AsyncIterable<Buffer> | object;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface Harness {
  app: AppHandle;
  agent: Agent;
  call(method: string, path: string, opts?: CallOptions): Promise<Reply>;
  close(): Promise<void>;
}

export async function startHarness(opts: AppOptions = {}): Promise<Harness> {
  const app = await startApp({ port: 0, ...opts });
  const agent = new Agent();
  return {
    app,
    agent,
    call: (method, path, opts = {}) => call(agent, app.url, method, path, opts),
    async close() {
      await agent.destroy();
      await app.close();
    },
  };
}

export async function call(agent: Agent, base: string, method: string, path: string, opts: CallOptions = {}): Promise<Reply> {
  const { body, headers = {}, signal } = opts;
  const isStream = typeof body === 'object' && Symbol.asyncIterator in body;
  const isJson = typeof body === 'object' && !Buffer.isBuffer(body) && !isStream;
  const res = await request(base + path, {
    method: method as 'GET',
    dispatcher: agent,
    headers: isJson ? { 'content-type': 'application/json', ...headers } : headers,
    body: isJson ? JSON.stringify(body) : isStream ? Readable.from(body as AsyncIterable<Buffer>) : (body as string | Buffer | undefined),
    ...(signal ? { signal } : {}),
  });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}
