import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { type Logger } from 'pino';
import { CircuitBreaker } from '../../src/breaker/circuit-breaker.js';
import type { BreakerDef, Outcome } from '../../src/breaker/types.js';
import { Metrics } from '../../src/observability/metrics.js';
import { Exchange } from '../../src/pipeline/exchange.js';

export const DEF: BreakerDef = {
  failure_rate: 0.5,
  window: 10,
  min_calls: 4,
  consecutive_failures: 5,
  slow_call: 1000,
  open_for: 30_000,
  half_open_calls: 3,
  mode: 'enforce',
};

export class FakeClock {
  t = 1_700_000_000_000;
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface LogLine {
  level: number;
  msg: string;
  breaker?: string;
  from?: string;
  to?: string;
  cause?: string;
  failure_rate?: number;
}

export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  return { logger, lines };
}

export interface Rig {
  breaker: CircuitBreaker;
  clock: FakeClock;
  metrics: Metrics;
  lines: LogLine[];
}

export function rig(over: Partial<BreakerDef> = {}, name = 'api'): Rig {
  const clock = new FakeClock();
  const metrics = new Metrics({ defaultMetrics: false });
  const { logger, lines } = captureLogger();
  const breaker = new CircuitBreaker({ name, def: { ...DEF, ...over }, metrics, logger, clock: clock.now });
  return { breaker, clock, metrics, lines };
}

/** Admit one call and release it with `outcome`; returns whether it was admitted. */
export function call(b: CircuitBreaker, outcome: Outcome): boolean {
  const p = b.tryAcquire();
  if (!p.ok) return false;
  b.release(p, outcome);
  return true;
}

export function calls(b: CircuitBreaker, outcomes: readonly Outcome[]): void {
  for (const o of outcomes) call(b, o);
}

export async function gaugeValue(m: Metrics, name: string): Promise<number | undefined> {
  const v = (await m.breakerState.get()).values.find((e) => e.labels.name === name);
  return v?.value;
}

export async function transitionsTo(m: Metrics, name: string, to: string): Promise<number> {
  const v = (await m.breakerTransitions.get()).values.find((e) => e.labels.name === name && e.labels.to === to);
  return v?.value ?? 0;
}

export function exchange(method = 'GET', headers: Record<string, string> = {}): Exchange {
  const req = { method, headers, url: '/' } as unknown as IncomingMessage;
  return new Exchange(req, {} as ServerResponse, process.hrtime.bigint());
}
