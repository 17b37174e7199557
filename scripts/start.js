#!/usr/bin/env node
// `npm start`: the assessment app on 127.0.0.1:8000 and sono-guard in front of
// it with policies/default.yaml (memory store, no Redis needed).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { IMAGE_NODE_FLAGS } from './image-flags.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const config = process.env.SONO_GUARD_CONFIG || 'policies/default.yaml';
const appPort = process.env.APP_PORT || '8000';

if (!existsSync(path.join(root, 'dist/src/cli.js'))) {
  console.log('Building (dist/ is missing)...');
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', root], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const children = [];
const stopAll = (signal) => children.forEach((c) => c.exitCode === null && c.kill(signal));
process.on('SIGINT', () => stopAll('SIGTERM'));
process.on('SIGTERM', () => stopAll('SIGTERM'));

const app = spawn(process.execPath, [path.join(root, 'dist/app/main.js')], {
  cwd: root,
  env: { ...process.env, PORT: appPort, HOST: '127.0.0.1' },
  stdio: ['ignore', 'inherit', 'inherit'],
});
children.push(app);

await waitForPort(Number(appPort));
// As the image runs it: deploy/Dockerfile's node flags (GC settings).
const proxy = spawn(process.execPath, [...IMAGE_NODE_FLAGS, path.join(root, 'bin/sono-guard.js'), '--config', config], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
});
children.push(proxy);
console.log(`\n  assessment app: http://127.0.0.1:${appPort}\n  sono-guard:     http://127.0.0.1:8080  (admin and /metrics: http://127.0.0.1:9901)\n  policy file:    ${config}\n`);

for (const c of children) {
  c.on('exit', (code) => {
    stopAll('SIGTERM');
    process.exitCode = code ?? 0;
  });
}

async function waitForPort(port) {
  const { connect } = await import('node:net');
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  console.error(`the assessment app did not start on port ${port}`);
  stopAll('SIGTERM');
  process.exit(2);
}
