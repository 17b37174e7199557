// Runs the assessment app: `node dist/app/main.js`.
//   PORT (default 8000), HOST (default 127.0.0.1)
//   APP_FAULT (none|slow|fail|hang|reset|refuse), APP_FAULT_DELAY_MS,
//   APP_FAULT_STATUS, APP_FAULT_RATE, APP_FAULT_PATHS
//   APP_REQUEST_LOG (entries /__control/requests keeps with their headers,
//   default 1000; 0 keeps the per-path counts only)
// Exit codes: 0 stopped by SIGTERM/SIGINT; 1 invalid environment; 2 cannot listen.

import { optionsFromEnv } from './env.js';
import { startApp, type AppHandle } from './server.js';

let app: AppHandle | undefined;
let stopping = false;
// While the port is closed (fault `refuse`) nothing else keeps the process alive.
const keepAlive = setInterval(() => {}, 1 << 30);

function stop(): void {
  if (stopping) return;
  stopping = true;
  clearInterval(keepAlive);
  void (app?.close() ?? Promise.resolve()).then(() => process.exit(0));
}
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

function fail(code: number, message: string): never {
  console.error(`assessment app: ${message}`);
  process.exit(code);
}

let options: ReturnType<typeof optionsFromEnv>;
try {
  options = optionsFromEnv(process.env);
} catch (err) {
  fail(1, (err as Error).message);
}

try {
  app = await startApp(options);
} catch (err) {
  fail(2, `cannot listen on ${options.host}:${options.port}: ${(err as Error).message}`);
}
console.log(`assessment app listening on ${app.url}`);
