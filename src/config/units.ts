/**
 * The units of the policy file, parsed once at load time into plain numbers.
 *
 *   durations  `250ms` `5s` `1m` `1h` `1d`, or `0`           → milliseconds
 *   sizes      `512b` `512kb` `10mb` `1gb` (1024-based, any case), or `0` → bytes
 *   limits     `COUNT/DURATION`: `60/1m`, `20/1s`, `1000/1h`  → { count, window, text }
 *   fractions  `50%`, `12.5%`, or a number from 0 to 1         → 0.5
 *
 * Whole numbers only for durations and sizes (no `1.5s`: write `1500ms`), no
 * compound durations (`1m30s`), no spaces. Each parser throws a RangeError whose
 * message says what is wrong and what would be right; the schema turns it into
 * a `FILE:LINE:COL` error.
 */

export type Ms = number;
export type Bytes = number;
export interface Limit { count: number; window: Ms; text: string }

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

export const DURATION_PATTERN = '^(0|[0-9]+(ms|s|m|h|d))$';
export const SIZE_PATTERN = '^(0|[0-9]+([bB]|[kKmMgG][bB]))$';
export const LIMIT_PATTERN = '^[0-9]+/[0-9]+(ms|s|m|h|d)$';
export const PERCENT_PATTERN = '^[0-9]+(\\.[0-9]+)?%$';

const DURATION_HINT = 'expected a whole number with a unit ms, s, m, h or d (e.g. "250ms", "5s", "1m"), or 0';
const SIZE_HINT = 'expected a whole number with a unit b, kb, mb or gb (e.g. "512kb", "10mb"), or 0';
const LIMIT_HINT = 'expected COUNT/DURATION (e.g. "60/1m", "20/1s", "1000/1h")';
const PERCENT_HINT = 'expected a percentage (e.g. "50%") or a number from 0 to 1';

function show(input: unknown): string {
  return typeof input === 'string' ? JSON.stringify(input) : String(input);
}

function parseUnit(input: string | number, units: Record<string, number>, hint: string, what: string, fold: boolean): number {
  if (input === 0 || input === '0') return 0;
  if (typeof input === 'number') throw new RangeError(`${what} ${input} has no unit: ${hint}`);
  const text = fold ? input.trim().toLowerCase() : input.trim();
  const m = /^(\d+)([a-zA-Z]+)$/.exec(text);
  if (!m) throw new RangeError(`bad ${what} ${show(input)}: ${hint}`);
  const factor = units[m[2]!];
  if (factor === undefined) throw new RangeError(`bad ${what} ${show(input)}: unknown unit "${m[2]}"; ${hint}`);
  const value = Number(m[1]) * factor;
  if (!Number.isSafeInteger(value)) throw new RangeError(`${what} ${show(input)} is too large`);
  return value;
}

/** `"5s"` → 5000. Units are lower-case (`m` is minutes, never months or megabytes). */
export function parseDuration(input: string | number): Ms {
  return parseUnit(input, DURATION_UNITS, DURATION_HINT, 'duration', false);
}

/** `"10mb"` → 10485760 (1024-based, case-insensitive). */
export function parseSize(input: string | number): Bytes {
  return parseUnit(input, SIZE_UNITS, SIZE_HINT, 'size', true);
}

/** `"60/1m"` → `{ count: 60, window: 60000, text: "60/1m" }`. Count and window must be positive. */
export function parseLimit(input: string): Limit {
  const text = input.trim();
  const slash = text.indexOf('/');
  if (slash < 0 || !/^\d+$/.test(text.slice(0, slash))) throw new RangeError(`bad limit ${show(input)}: ${LIMIT_HINT}`);
  const count = Number(text.slice(0, slash));
  if (count < 1 || !Number.isSafeInteger(count)) throw new RangeError(`bad limit ${show(input)}: the count must be at least 1`);
  const windowText = text.slice(slash + 1);
  if (!/^\d+[a-z]+$/.test(windowText)) throw new RangeError(`bad limit ${show(input)}: ${LIMIT_HINT}`);
  let window: Ms;
  try {
    window = parseDuration(windowText);
  } catch {
    throw new RangeError(`bad limit ${show(input)}: unknown window unit; ${LIMIT_HINT}`);
  }
  if (window === 0) throw new RangeError(`bad limit ${show(input)}: the window must be longer than 0`);
  return { count, window, text };
}

/** `"50%"` → 0.5; a number from 0 to 1 is taken as the fraction itself. */
export function parsePercent(input: string | number): number {
  if (typeof input === 'number') {
    if (Number.isFinite(input) && input >= 0 && input <= 1) return input;
    throw new RangeError(`bad percentage ${input}: ${PERCENT_HINT}${input > 1 && input <= 100 ? ` (did you mean "${input}%"?)` : ''}`);
  }
  const m = /^(\d+(?:\.\d+)?)%$/.exec(input.trim());
  if (!m) throw new RangeError(`bad percentage ${show(input)}: ${PERCENT_HINT}`);
  const pct = Number(m[1]);
  if (pct > 100) throw new RangeError(`bad percentage ${show(input)}: at most 100%`);
  return pct / 100;
}

/** 5000 → `"5s"`, 90000 → `"90s"`, 0 → `"0"`: the largest unit that divides exactly. */
export function formatDuration(ms: Ms): string {
  if (ms === 0) return '0';
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const factor = DURATION_UNITS[unit]!;
    if (ms % factor === 0) return `${ms / factor}${unit}`;
  }
  return `${ms}ms`;
}
