// The fault switch: makes the assessment app misbehave on purpose, so tests,
// benchmarks and demos can show what the proxy does when its upstream is slow,
// failing, hanging, resetting connections or not listening at all.

export const FAULT_MODES = ['none', 'slow', 'fail', 'hang', 'reset', 'refuse'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

export interface FaultConfig {
  mode: FaultMode;
  /** `slow`: how long to wait before answering normally. */
  delayMs: number;
  /** `fail`: the status to answer with. */
  status: number;
  /** Fraction of matching requests affected, 0..1 (spread evenly, not randomly). */
  rate: number;
  /** Path prefix(es), comma-separated; '' = every path. `/__control/*` is never affected. */
  paths: string;
}

export const DEFAULT_FAULTS: Readonly<FaultConfig> = Object.freeze({
  mode: 'none',
  delayMs: 1000,
  status: 503,
  rate: 1,
  paths: '',
});

/** How long `refuse` lasts when set over HTTP without `duration_ms`. */
export const DEFAULT_REFUSE_MS = 5000;

/** Opens and closes the app's listening socket; supplied by the server. */
export interface ListenerControl {
  stop(): Promise<void>;
  start(): Promise<void>;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; field: string; message: string };

/** Validates a partial fault config; the one place the field rules live. */
export function checkFaultPatch(patch: Partial<FaultConfig>): Checked<Partial<FaultConfig>> {
  const bad = (field: string, message: string): Checked<never> => ({ ok: false, field, message });
  const { mode, delayMs, status, rate, paths } = patch;
  if (mode !== undefined && !FAULT_MODES.includes(mode)) {
    return bad('mode', `mode must be one of ${FAULT_MODES.join(', ')}`);
  }
  if (delayMs !== undefined && !(Number.isInteger(delayMs) && delayMs >= 0 && delayMs <= 3_600_000)) {
    return bad('delay_ms', 'delay_ms must be an integer between 0 and 3600000');
  }
  if (status !== undefined && !(Number.isInteger(status) && status >= 200 && status <= 599)) {
    return bad('status', 'status must be an integer between 200 and 599');
  }
  if (rate !== undefined && !(typeof rate === 'number' && rate >= 0 && rate <= 1)) {
    return bad('rate', 'rate must be a number between 0 and 1');
  }
  if (paths !== undefined && typeof paths !== 'string') {
    return bad('paths', 'paths must be a string of path prefixes');
  }
  return { ok: true, value: patch };
}

export function isControlPath(path: string): boolean {
  return path === '/__control' || path.startsWith('/__control/');
}

export class FaultSwitch {
  #config: FaultConfig = { ...DEFAULT_FAULTS };
  #prefixes: string[] = [];
  #credit = 0; // even spreading of `rate`: a request is affected each time credit reaches 1
  #revertTimer: NodeJS.Timeout | undefined;
  #listening = true;
  #transition: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(private readonly listener: ListenerControl) {}

  /** A copy of the current configuration. */
  get(): FaultConfig {
    return { ...this.#config };
  }

  /** True while the port is closed (mode `refuse`). */
  get refusing(): boolean {
    return this.#config.mode === 'refuse';
  }

  /**
   * Merges `patch` into the configuration and resolves once the listening
   * socket matches it (`refuse` closes the port, any other mode re-opens it on
   * the same port). With `durationMs`, the switch returns to mode `none` after
   * that long. Throws a RangeError on an invalid patch.
   */
  set(patch: Partial<FaultConfig>, opts: { durationMs?: number } = {}): Promise<FaultConfig> {
    const checked = checkFaultPatch(patch);
    if (!checked.ok) return Promise.reject(new RangeError(checked.message));
    this.#clearRevert();
    this.#config = { ...this.#config, ...definedOnly(checked.value) };
    this.#prefixes = this.#config.paths.split(',').map((p) => p.trim()).filter((p) => p !== '');
    this.#credit = 0;
    if (opts.durationMs !== undefined && this.#config.mode !== 'none') {
      this.#revertTimer = setTimeout(() => void this.set({ mode: 'none' }).catch(() => {}), opts.durationMs);
    }
    return this.#sync().then(() => this.get());
  }

  /** Back to the defaults (mode `none`, port open). */
  reset(): Promise<FaultConfig> {
    return this.set({ ...DEFAULT_FAULTS });
  }

  /**
   * The fault to apply to one request for `path`: its mode when the request
   * is affected, else 'none'. Called once per request (it advances `rate`).
   */
  pick(path: string): FaultMode {
    const { mode, rate } = this.#config;
    if (mode === 'none' || mode === 'refuse' || isControlPath(path)) return 'none';
    if (this.#prefixes.length > 0 && !this.#prefixes.some((p) => path.startsWith(p))) return 'none';
    this.#credit += rate;
    if (this.#credit < 1 - 1e-9) return 'none';
    this.#credit -= 1;
    return mode;
  }

  /** Stops timers and later port changes, once any change under way is done; the app is closing. */
  async dispose(): Promise<void> {
    this.#closed = true;
    this.#clearRevert();
    await this.#transition.catch(() => {});
  }

  #clearRevert(): void {
    if (this.#revertTimer) clearTimeout(this.#revertTimer);
    this.#revertTimer = undefined;
  }

  // Transitions run one after another so refuse → none → refuse in quick
  // succession always ends in the state last asked for.
  #sync(): Promise<void> {
    this.#transition = this.#transition
      .catch(() => {})
      .then(async () => {
        const want = this.#config.mode !== 'refuse';
        if (this.#closed || want === this.#listening) return;
        if (want) await this.listener.start();
        else await this.listener.stop();
        this.#listening = want;
      });
    return this.#transition;
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
