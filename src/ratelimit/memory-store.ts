import { admits, decide } from './gcra.js';
import type { RateLimiter } from './limiter.js';
import type { Decision, RateLimitStore } from './types.js';

/**
 * Per-process counters in each policy's bounded KeyTable. Synchronous: the
 * check and the charge happen in one turn of the event loop, so no other
 * request can slip in between, and the caller need not await.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly kind = 'memory' as const;

  hit(limiters: readonly RateLimiter[], keys: readonly string[], now: number): Decision[] {
    // 1. check every window of every policy, charging nothing
    let chargeAll = true;
    for (let i = 0; i < limiters.length; i++) {
      const l = limiters[i]!;
      const slot = l.table.slotOf(keys[i]!);
      l.slot = slot;
      let pass = true;
      const ws = l.windows;
      for (let w = 0; w < ws.length; w++) {
        const stored = slot < 0 ? now : l.table.tatAt(slot, w);
        const tat0 = stored > now ? stored : now;
        l.tat0[w] = tat0;
        l.next[w] = tat0 + ws[w]!.intervalMs;
        if (admits(tat0, now, ws[w]!)) {
          l.ok[w] = 1;
        } else {
          l.ok[w] = 0;
          pass = false;
        }
      }
      l.pass = pass;
      if (!pass && l.enforce) chargeAll = false;
    }
    // 2. charge the policies that allow, but only if every enforced one does
    const out = new Array<Decision>(limiters.length);
    for (let i = 0; i < limiters.length; i++) {
      const l = limiters[i]!;
      const charged = chargeAll && l.pass;
      if (charged) l.table.write(keys[i]!, l.slot, l.next, now);
      const src = charged ? l.next : l.tat0;
      for (let w = 0; w < l.windows.length; w++) l.debt[w] = src[w]! - now;
      out[i] = decide(l.name, l.windows, l.debt, l.ok, l.pass);
    }
    return out;
  }

  health(): 'operational' {
    return 'operational';
  }
}
