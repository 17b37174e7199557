import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from '../helpers/wait.js';

/** A private redis-server on a random port, for tests that kill or pause it. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  /** Start again on the same port (after kill). */
  restart(): Promise<void>;
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}


async function waitForPing(port: number, deadlineMs = 10_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      let buf = '';
      sock.setTimeout(500);
      sock.on('connect', () => sock.write('PING\r\n'));
      sock.on('data', (d) => {
        buf += d.toString();
        if (buf.includes('PONG')) { sock.destroy(); resolve(true); }
      });
      sock.on('error', () => resolve(false));
      sock.on('timeout', () => { sock.destroy(); resolve(false); });
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`redis-server on ${port} did not answer`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function startRedisServer(fixedPort?: number): Promise<RedisServer> {
  const port = fixedPort ?? (await freePort());
  let child: ChildProcess | null = null;
  const launch = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    await waitForPing(port);
  };
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGCONT');
      c.kill('SIGKILL');
    });
  };
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    restart: launch,
    pause: () => { child?.kill('SIGSTOP'); },
    resume: () => { child?.kill('SIGCONT'); },
    stop: kill,
  };
}

export { freePort };
