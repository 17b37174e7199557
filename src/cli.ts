import { loadPolicyFile } from './config/load.js';
import { policyJsonSchema } from './config/json-schema.js';
import { explain } from './explain.js';
import { startProxy, type Proxy } from './proxy.js';
import { VERSION } from './version.js';

const HELP = `sono-guard ${VERSION} — resilience sidecar for the Sono-Eval assessment service

Usage:
  sono-guard [--config FILE]                 run the proxy
  sono-guard validate FILE...                check policy files
  sono-guard explain --config FILE METHOD URL  show the route and policies a request gets
  sono-guard schema                          print the policy file's JSON Schema
  sono-guard --help | --version

FILE defaults to $SONO_GUARD_CONFIG, else policies/default.yaml.

Exit codes: 0 ok, 1 invalid configuration, 2 cannot start.`;

const defaultConfig = () => process.env.SONO_GUARD_CONFIG || 'policies/default.yaml';

/** Entry point of the `sono-guard` command; resolves to the exit code (run mode resolves once stopped). */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === '--help' || cmd === '-h' || cmd === 'help') return print(HELP, 0);
  if (cmd === '--version' || cmd === '-v') return print(VERSION, 0);
  if (cmd === 'validate') return validate(rest);
  if (cmd === 'schema') return print(JSON.stringify(policyJsonSchema(), null, 2), 0);
  if (cmd === 'explain') return explainCmd(rest);
  if (cmd === undefined || cmd === 'run' || cmd.startsWith('-')) return run(cmd === 'run' ? rest : argv);
  console.error(`sono-guard: unknown command "${cmd}"\n\n${HELP}`);
  return 1;
}

function print(text: string, code: number): number {
  process.stdout.write(text + '\n');
  return code;
}

function takeConfig(args: string[]): { file: string; rest: string[] } | { error: string } {
  const rest: string[] = [];
  let file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--config' || a === '-c') {
      file = args[++i];
      if (!file) return { error: '--config needs a file' };
    } else if (a.startsWith('--config=')) file = a.slice(9);
    else rest.push(a);
  }
  return { file: file ?? defaultConfig(), rest };
}

function validate(files: string[]): number {
  if (files.length === 0) {
    console.error('sono-guard validate: name at least one policy file');
    return 1;
  }
  let failed = false;
  for (const file of files) {
    const r = loadPolicyFile(file, process.env);
    if (r.ok) {
      const p = r.policy;
      console.log(
        `${file}: ok (${p.routes.length} routes, ${Object.keys(p.rate_limits).length} rate limits, ` +
          `${Object.keys(p.breakers).length} breakers, ${Object.keys(p.caches).length} caches, store ${p.store.kind})`,
      );
    } else {
      failed = true;
      for (const e of r.errors) console.error(e);
    }
  }
  return failed ? 1 : 0;
}

function explainCmd(args: string[]): number {
  const c = takeConfig(args);
  if ('error' in c) {
    console.error(`sono-guard explain: ${c.error}`);
    return 1;
  }
  const [method, url] = c.rest;
  if (!method || !url) {
    console.error('sono-guard explain: usage: explain --config FILE METHOD URL');
    return 1;
  }
  const r = loadPolicyFile(c.file, process.env);
  if (!r.ok) {
    for (const e of r.errors) console.error(e);
    return 1;
  }
  console.log(explain(r.policy, method, url));
  return 0;
}

async function run(args: string[]): Promise<number> {
  const c = takeConfig(args);
  if ('error' in c) {
    console.error(`sono-guard: ${c.error}`);
    return 1;
  }
  if (c.rest.length) {
    console.error(`sono-guard: unexpected argument "${c.rest[0]}"\n\n${HELP}`);
    return 1;
  }
  const r = loadPolicyFile(c.file, process.env);
  if (!r.ok) {
    for (const e of r.errors) console.error(e);
    return 1;
  }
  // SIGHUP's default action ends the process: take it before starting. One
  // that comes while the proxy starts (the file may have changed after it
  // was read) reloads as soon as it is up.
  let started: Proxy | null = null;
  let hupWhileStarting = false;
  process.on('SIGHUP', () => {
    if (started) void started.reload('SIGHUP');
    else hupWhileStarting = true;
  });
  let proxy: Proxy;
  try {
    proxy = await startProxy({ file: c.file, policy: r.policy });
  } catch (err) {
    console.error(`sono-guard: cannot start: ${(err as Error).message}`);
    return 2;
  }
  started = proxy;
  if (hupWhileStarting) void proxy.reload('SIGHUP');
  return new Promise<number>((resolve) => {
    let signals = 0;
    const stop = (signal: string) => {
      if (++signals > 1) {
        proxy.log.warn({ signal }, `Received ${signal} again: stopping now`);
        proxy.force();
        return;
      }
      proxy.log.info({ signal }, `Received ${signal}, draining`);
      void proxy.shutdown().then((code) => proxy.log.flush(() => resolve(code)));
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}
