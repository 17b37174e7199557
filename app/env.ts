// The assessment app's settings from the environment (see main.ts).

import { checkFaultPatch, type FaultConfig, type FaultMode } from './faults.js';

export type Env = Record<string, string | undefined>;

const VARIABLES: Record<string, string> = {
  mode: 'APP_FAULT',
  delay_ms: 'APP_FAULT_DELAY_MS',
  status: 'APP_FAULT_STATUS',
  rate: 'APP_FAULT_RATE',
  paths: 'APP_FAULT_PATHS',
};

/** The app options from the environment; throws with a message naming the variable. */
export function optionsFromEnv(env: Env): { port: number; host: string; faults: Partial<FaultConfig>; requestLog?: number } {
  const num = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (Number.isNaN(n)) throw new Error(`${name} must be a number, got ${JSON.stringify(raw)}`);
    return n;
  };
  const port = num('PORT') ?? 8000;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('PORT must be an integer between 0 and 65535');
  const requestLog = num('APP_REQUEST_LOG');
  if (requestLog !== undefined && (!Number.isInteger(requestLog) || requestLog < 0)) throw new Error('APP_REQUEST_LOG must be a whole number of entries (0 keeps counts only)');

  const faults: Partial<FaultConfig> = {};
  const set = <K extends keyof FaultConfig>(key: K, value: FaultConfig[K] | undefined) => {
    if (value !== undefined) faults[key] = value;
  };
  set('mode', env.APP_FAULT === '' ? undefined : (env.APP_FAULT as FaultMode | undefined));
  set('delayMs', num('APP_FAULT_DELAY_MS'));
  set('status', num('APP_FAULT_STATUS'));
  set('rate', num('APP_FAULT_RATE'));
  set('paths', env.APP_FAULT_PATHS);
  const checked = checkFaultPatch(faults);
  if (!checked.ok) {
    throw new Error(`${VARIABLES[checked.field] ?? checked.field}: ${checked.message}`);
  }
  return { port, host: env.HOST || '127.0.0.1', faults, ...(requestLog !== undefined ? { requestLog } : {}) };
}
