import type { Clock } from './types.js';

/** Wall-clock milliseconds from a monotonic source (a clock step never shortens OPEN). */
export const monotonicClock: Clock = () => performance.timeOrigin + performance.now();

/** Retry-After in whole seconds, at least 1. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** 0.553 -> "55.3%" */
export function pct(r: number): string {
  return `${Math.round(r * 1000) / 10}%`;
}

/** 30000 -> "30s", 250 -> "250ms" */
export function fmtMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
