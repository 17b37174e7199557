import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { optionsFromEnv } from '../../app/env.js';
import { startApp, type AppHandle } from '../../app/server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('optionsFromEnv', () => {
  it('defaults to 127.0.0.1:8000 and no faults', () => {
    expect(optionsFromEnv({})).toEqual({ port: 8000, host: '127.0.0.1', faults: {} });
  });

  it('reads PORT, HOST and every fault variable', () => {
    const env = { PORT: '9000', HOST: '0.0.0.0', APP_FAULT: 'slow', APP_FAULT_DELAY_MS: '250', APP_FAULT_STATUS: '502', APP_FAULT_RATE: '0.5', APP_FAULT_PATHS: '/api' };
    expect(optionsFromEnv(env)).toEqual({
      port: 9000,
      host: '0.0.0.0',
      faults: { mode: 'slow', delayMs: 250, status: 502, rate: 0.5, paths: '/api' },
    });
  });

  it('reads APP_REQUEST_LOG, 0 included', () => {
    expect(optionsFromEnv({ APP_REQUEST_LOG: '0' }).requestLog).toBe(0);
    expect(optionsFromEnv({ APP_REQUEST_LOG: '50' }).requestLog).toBe(50);
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ APP_FAULT: 'explode' }, /APP_FAULT: mode must be one of/],
    [{ APP_FAULT_RATE: '2' }, /APP_FAULT_RATE/],
    [{ APP_FAULT_DELAY_MS: 'soon' }, /APP_FAULT_DELAY_MS/],
    [{ APP_FAULT_STATUS: '42' }, /APP_FAULT_STATUS/],
    [{ APP_REQUEST_LOG: '-1' }, /APP_REQUEST_LOG/],
    [{ APP_REQUEST_LOG: '2.5' }, /APP_REQUEST_LOG/],
  ])('rejects %j', (env, message) => {
    expect(() => optionsFromEnv(env)).toThrow(message);
  });
});

describe('app/main.ts', () => {
  let child: ChildProcess | undefined;
  let other: AppHandle | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    child = undefined;
    await other?.close();
    other = undefined;
  });

  function run(env: Record<string, string>): ChildProcess {
    child = spawn(process.execPath, ['--import', 'tsx', 'app/main.ts'], {
      cwd: root,
      env: { ...process.env, PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return child;
  }

  async function firstLine(proc: ChildProcess): Promise<string> {
    let out = '';
    for await (const chunk of proc.stdout as AsyncIterable<Buffer>) {
      out += chunk.toString();
      if (out.includes('\n')) break;
    }
    return out.split('\n')[0] ?? '';
  }

  async function exit(proc: ChildProcess): Promise<{ code: number | null; stderr: string }> {
    let stderr = '';
    proc.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const [code] = (await once(proc, 'exit')) as [number | null];
    return { code, stderr };
  }

  it('prints its URL, serves, and exits 0 on SIGTERM', async () => {
    const proc = run({});
    const line = await firstLine(proc);
    expect(line).toMatch(/^assessment app listening on http:\/\/127\.0\.0\.1:\d+$/);
    const res = await request(`${line.split(' ').at(-1)}/health`);
    expect(await res.body.json()).toEqual({ status: 'healthy' });
    const exited = exit(proc);
    proc.kill('SIGTERM');
    expect((await exited).code).toBe(0);
  });

  it('applies fault variables and exits 0 on SIGINT', async () => {
    const proc = run({ APP_FAULT: 'fail', APP_FAULT_STATUS: '500' });
    const url = (await firstLine(proc)).split(' ').at(-1) ?? '';
    const res = await request(`${url}/health`);
    expect(res.statusCode).toBe(500);
    await res.body.dump();
    const exited = exit(proc);
    proc.kill('SIGINT');
    expect((await exited).code).toBe(0);
  });

  it('exits 1 on an invalid environment, naming the variable', async () => {
    const { code, stderr } = await exit(run({ APP_FAULT: 'explode' }));
    expect(code).toBe(1);
    expect(stderr).toMatch(/APP_FAULT/);
  });

  it('exits 2 when the port is taken', async () => {
    other = await startApp();
    const { code, stderr } = await exit(run({ PORT: String(other.port) }));
    expect(code).toBe(2);
    expect(stderr).toMatch(/cannot listen/);
  });
});
