// Running the built `sono-guard` command from the deploy tests.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The CLI runs from dist/: `npm test` and `npm run build` compile it first. */
export function assertBuilt(): void {
  if (!existsSync(path.join(ROOT, 'dist/src/cli.js'))) {
    throw new Error('dist/src/cli.js is missing: run `npm run build` before these tests (npm test does)');
  }
}

export interface CliRun { status: number | null; stdout: string; stderr: string }

/** `node bin/sono-guard.js ARGS` in `cwd` (default: the repository), with exactly `env` plus PATH. */
export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): CliRun {
  const r = spawnSync(process.execPath, ['bin/sono-guard.js', ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '', ...opts.env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}
