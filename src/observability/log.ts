import pino, { type Logger, type DestinationStream } from 'pino';

export type { Logger };

/**
 * JSON lines on stdout in the shape of SPEC §6: `timestamp` (ISO 8601),
 * `level` as a word, `message`. Asynchronous writes with a bounded buffer so a
 * slow log pipe never blocks the event loop and never grows without bound.
 */
export function createLogger(level: string, dest?: DestinationStream): Logger {
  let stream = dest;
  if (stream === undefined) {
    // Lines are batched into writes of 32–64 kB: each write to stdout is a
    // string conversion and a syscall, and with 4 kB batches they measured
    // about 5% of a forwarded request's CPU (1% at 32 kB). At low traffic a
    // flush at least every 500 ms keeps a quiet sidecar's logs current.
    const boom = pino.destination({ dest: 1, sync: false, minLength: 32768, maxWrite: 65536, maxLength: 16 << 20 });
    setInterval(() => boom.flush(), 500).unref();
    stream = boom;
  }
  return pino(
    {
      level,
      base: null,
      messageKey: 'message',
      timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
}
