// Micro-measurement behind src/breaker/README.md: cost per call of the
// breaker's hot path, mollitia 0.1.1 versus the pure state machine, plus the
// half-open admission behaviour of each under 100 concurrent arrivals.
// Run: npx tsx bench/breaker-vs-mollitia.ts (mollitia is a devDependency for this comparison only)
import { Circuit, SlidingCountBreaker, BreakerMaxAllowedRequestError, BreakerError, BreakerState } from 'mollitia';
import { CircuitBreaker } from '../src/breaker/circuit-breaker.js';
import type { BreakerDef } from '../src/breaker/types.js';
import { breakerStage } from '../src/pipeline/stages/breaker.js';
import { Exchange } from '../src/pipeline/exchange.js';
import type { IncomingMessage, ServerResponse } from 'node:http';

const N = Number(process.env.N ?? 200_000);
const ROUNDS = 5;
const def: BreakerDef = {
  failure_rate: 0.5, window: 20, min_calls: 10, consecutive_failures: 5,
  slow_call: 5000, open_for: 60_000, half_open_calls: 3, mode: 'enforce',
};

function mollitiaCircuit(window: number, state?: BreakerState): Circuit {
  const b = new SlidingCountBreaker({
    slidingWindowSize: window, minimumNumberOfCalls: 10, failureRateThreshold: 50,
    slowCallDurationThreshold: 5000, openStateDelay: 60_000, halfOpenStateMaxDelay: 60_000,
    permittedNumberOfCallsInHalfOpenState: 3, ...(state ? { state } : {}),
  });
  // The wrapper sets the circuit function once and passes the call as a parameter.
  return new Circuit({ func: (f: () => Promise<unknown>) => f(), options: { modules: [b] } });
}

async function timeAsync(label: string, fn: () => Promise<unknown>): Promise<number> {
  const best: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) await fn();
    best.push(Number(process.hrtime.bigint() - t0) / 1e3 / N);
  }
  const us = Math.min(...best);
  console.log(`${label.padEnd(58)} ${us.toFixed(3)} µs/call`);
  return us;
}

function timeSync(label: string, fn: () => void): number {
  const best: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) fn();
    best.push(Number(process.hrtime.bigint() - t0) / 1e3 / N);
  }
  const us = Math.min(...best);
  console.log(`${label.padEnd(58)} ${us.toFixed(3)} µs/call`);
  return us;
}

const ok = async (): Promise<number> => 1;
const noop = (): void => {};

console.log(`node ${process.version}, ${N} calls x ${ROUNDS} rounds (best round)`);
// Baseline: the await the stage pays anyway.
await timeAsync('baseline: await of a resolved async fn', ok);

for (const w of [20, 100]) {
  const c = mollitiaCircuit(w);
  await timeAsync(`mollitia SlidingCountBreaker(${w}) CLOSED, execute()`, () => c.execute(ok));
}
{
  const c = mollitiaCircuit(20, BreakerState.OPENED);
  await timeAsync('mollitia OPEN, execute() rejects', () => c.execute(ok).catch(noop));
}
for (const w of [20, 100]) {
  const b = new CircuitBreaker({ name: 'm', def: { ...def, window: w } });
  timeSync(`state machine window ${w} CLOSED, tryAcquire+release (sync)`, () => {
    const p = b.tryAcquire();
    if (p.ok) b.release(p, 'success');
  });
  await timeAsync(`state machine window ${w} CLOSED, around an async call`, async () => {
    const p = b.tryAcquire();
    if (!p.ok) return;
    await ok();
    b.release(p, 'success');
  });
}
{
  const b = new CircuitBreaker({ name: 'm', def });
  const reply = { status: 200, headers: {}, body: null };
  const h = breakerStage(b)(async () => reply);
  const x = new Exchange({ method: 'GET', headers: {} } as unknown as IncomingMessage, {} as ServerResponse, 0n);
  await timeAsync('breaker stage (state machine) CLOSED, fake next', () => h(x));
  b.forceOpen();
  await timeAsync('breaker stage (state machine) OPEN, 503 problem reply', () => h(x));
  b.close();
}
{
  const b = new CircuitBreaker({ name: 'm', def });
  b.forceOpen();
  timeSync('state machine OPEN, tryAcquire rejects (sync)', () => void b.tryAcquire());
  b.close();
}

// Half-open admission under 100 concurrent arrivals, 3 permitted trials.
{
  let entered = 0;
  const c = mollitiaCircuit(20, BreakerState.HALF_OPENED);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const calls = Array.from({ length: 100 }, () =>
    c.execute(async () => { entered++; await gate; return 1; }).then(() => 'ok', (e: unknown) => e));
  await new Promise((r) => setImmediate(r));
  release();
  const results = await Promise.all(calls);
  const maxErr = results.filter((e) => e instanceof BreakerMaxAllowedRequestError).length;
  const named = results.filter((e) => e instanceof Error && e.name !== 'Error').map((e) => (e as Error).name);
  const anyErr = results.filter((e) => e instanceof Error).length;
  console.log(`mollitia half-open: ${entered} of 100 admitted; ${anyErr} rejected, ` +
    `${maxErr} pass instanceof BreakerMaxAllowedRequestError, names: ${[...new Set(named)].join(',') || '(Error)'}; ` +
    `opened rejection instanceof BreakerError: ${(await mollitiaCircuit(20, BreakerState.OPENED).execute(ok).catch((e: unknown) => e)) instanceof BreakerError}`);
}
{
  let now = 0;
  const b = new CircuitBreaker({ name: 'm', def, clock: () => now });
  for (let i = 0; i < 5; i++) { const p = b.tryAcquire(); if (p.ok) b.release(p, 'failure'); }
  now += def.open_for;
  const admitted = Array.from({ length: 100 }, () => b.tryAcquire()).filter((p) => p.ok).length;
  console.log(`state machine half-open: ${admitted} of 100 admitted`);
  b.close();
}
// mollitia: one failed trial out of three (failure_rate 50%) -> closes instead of re-opening.
{
  const c = mollitiaCircuit(20, BreakerState.HALF_OPENED);
  const bad = async (): Promise<never> => { throw new Error('5xx'); };
  await Promise.all([c.execute(ok), c.execute(bad).catch(noop), c.execute(ok)]);
  const b = c.modules[0] as SlidingCountBreaker;
  console.log(`mollitia half-open, 1 of 3 trials failed -> ${b.state} (required: opened)`);
  for (const m of c.modules) m.dispose();
}
// mollitia: 5 consecutive failures with min_calls 10 -> still closed (no consecutive rule).
{
  const c = mollitiaCircuit(20);
  for (let i = 0; i < 5; i++) await c.execute(async () => { throw new Error('5xx'); }).catch(noop);
  console.log(`mollitia after 5 consecutive failures (min 10 calls): ${(c.modules[0] as SlidingCountBreaker).state} (required: opened)`);
  for (const m of c.modules) m.dispose();
}
process.exit(0);
