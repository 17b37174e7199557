import type { Decision, WindowSpec } from './types.js';

/**
 * GCRA (the generic cell rate algorithm, as in redis-cell and throttled) per
 * window. State is one number per window and key: the theoretical arrival
 * time TAT (ms). A window of `limit` requests per `windowMs` gives back one
 * request every `T = windowMs / limit`; a request is allowed when, after
 * adding T, the debt `TAT − now` stays within `windowMs`. An idle key has
 * `TAT ≤ now` and is exactly a fresh key. See README.md for burst behaviour.
 *
 * The Redis Lua script (lua.ts) mirrors `admits` and `EPS_MS` exactly, so
 * both stores give the same answers.
 */

/** Tolerance for float rounding of absolute epoch-millisecond TATs (~2e-4 ms per add). */
export const EPS_MS = 0.01;

/** Whether a window with stored TAT `tat0` (already ≥ now) admits one more request. */
export function admits(tat0: number, now: number, w: WindowSpec): boolean {
  return tat0 + w.intervalMs - now <= w.windowMs + EPS_MS;
}

/**
 * Build a policy's decision from per-window debts (`TAT − now` in ms after the
 * charge when charged, before it otherwise) and per-window admit flags.
 */
export function decide(
  policy: string,
  windows: readonly WindowSpec[],
  debt: ArrayLike<number>,
  ok: ArrayLike<number>,
  allowed: boolean,
): Decision {
  let best = 0;
  let bestRemaining = Infinity;
  let retryAfterS = 0;
  // windows are sorted shortest first, so `<` keeps the shortest on ties
  for (let w = 0; w < windows.length; w++) {
    const spec = windows[w]!;
    const d = debt[w]! > 0 ? debt[w]! : 0;
    const r = remainingOf(spec, d);
    if (r < bestRemaining) { best = w; bestRemaining = r; }
    if (!allowed && ok[w] === 0) {
      const s = resetOf(d);
      const wait = s < 1 ? 1 : s;
      if (wait > retryAfterS) retryAfterS = wait;
    }
  }
  const spec = windows[best]!;
  return {
    allowed,
    limit: spec.limit,
    remaining: bestRemaining,
    resetS: resetOf(debt[best]! > 0 ? debt[best]! : 0),
    retryAfterS,
    policy,
    windowMs: spec.windowMs,
    window: spec.text,
    item: spec.item,
    unavailable: false,
  };
}

/** Whole requests that still fit in the window given its debt, clamped to [0, limit]. */
export function remainingOf(w: WindowSpec, debt: number): number {
  const r = Math.floor((w.windowMs - debt + EPS_MS) / w.intervalMs);
  return r < 0 ? 0 : r > w.limit ? w.limit : r;
}

/** Whole seconds until the debt is paid off (the window is back to a fresh key). */
export function resetOf(debt: number): number {
  const s = Math.ceil((debt - EPS_MS) / 1000);
  return s > 0 ? s : 0;
}
