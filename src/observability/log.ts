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
    const boom = pino.destination({ dest: 1, sync: false, minLength: 4096, maxLength: 16 << 20 });
    // Lines are batched up to 4 kB; at low traffic flush at least every 500 ms
    // so a quiet sidecar's logs are never held back for long.
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
