import net from 'node:net';

/** One HTTP/1.1 response as read off the wire. */
export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  /** Every header line as sent (name as written), to check what is absent. */
  headerLines: string[];
  body: string;
}

export interface RawResult {
  /** Every byte the server sent. */
  raw: string;
  /** The responses parsed from `raw`, in order. */
  responses: WireResponse[];
  /** The server closed the connection (as opposed to our own deadline). */
  closedByServer: boolean;
}

export interface RawOptions {
  /** Stop after this many complete responses (default: wait for the server to close). */
  responses?: number;
  /** Give up (and report closedByServer: false) after this long. Default 5 s. */
  deadlineMs?: number;
  /** Called once connected, to write more (slowly, in pieces…) after `data`. */
  drive?: (socket: net.Socket) => void;
}

/** Send `data` over a fresh TCP connection to `baseUrl` and read what comes back. */
export function sendRaw(baseUrl: string, data: string | Buffer, opts: RawOptions = {}): Promise<RawResult> {
  const u = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = net.connect(Number(u.port), u.hostname);
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (closedByServer: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const raw = Buffer.concat(chunks).toString('latin1');
      resolve({ raw, responses: parseResponses(raw), closedByServer });
    };
    const timer = setTimeout(() => finish(false), opts.deadlineMs ?? 5000);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (opts.responses !== undefined && parseResponses(Buffer.concat(chunks).toString('latin1')).length >= opts.responses) finish(false);
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('connect', () => {
      if (data.length > 0) socket.write(data);
      opts.drive?.(socket);
    });
  });
}

/** Parse consecutive HTTP/1.1 responses (Content-Length, chunked, or body to the end). Stops at the first incomplete one. */
export function parseResponses(raw: string): WireResponse[] {
  const out: WireResponse[] = [];
  let rest = raw;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) break;
    const lines = rest.slice(0, end).split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (!m) break;
    const headers: Record<string, string> = {};
    const headerLines = lines.slice(1);
    for (const l of headerLines) {
      const i = l.indexOf(':');
      if (i > 0) {
        const k = l.slice(0, i).trim().toLowerCase();
        const v = l.slice(i + 1).trim();
        headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
      }
    }
    const status = Number(m[1]);
    let after = rest.slice(end + 4);
    let body = '';
    if (status === 100) {
      out.push({ status, headers, headerLines, body });
      rest = after;
      continue;
    }
    if (status === 204 || status === 304) {
      // no body
    } else if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      if (after.length < n) break;
      body = after.slice(0, n);
      after = after.slice(n);
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const parsed = dechunk(after);
      if (parsed === null) break;
      body = parsed.body;
      after = parsed.rest;
    } else {
      body = after;
      after = '';
    }
    out.push({ status, headers, headerLines, body });
    rest = after;
  }
  return out;
}

function dechunk(s: string): { body: string; rest: string } | null {
  let body = '';
  let i = 0;
  for (;;) {
    const eol = s.indexOf('\r\n', i);
    if (eol === -1) return null;
    const size = parseInt(s.slice(i, eol), 16);
    if (Number.isNaN(size)) return null;
    i = eol + 2;
    if (size === 0) {
      const end = s.indexOf('\r\n', i);
      if (end === -1) return null;
      return { body, rest: s.slice(end + 2) };
    }
    if (s.length < i + size + 2) return null;
    body += s.slice(i, i + size);
    i += size + 2;
  }
}

/** A problem+json body, parsed; throws if the response is not one. */
export function problemOf(r: WireResponse | undefined): { type: string; title: string; status: number; detail: string; code: string; request_id: string } {
  if (!r) throw new Error('no response');
  if (r.headers['content-type'] !== 'application/problem+json') throw new Error(`not problem+json: ${r.status} ${r.headers['content-type']} ${r.body}`);
  return JSON.parse(r.body) as ReturnType<typeof problemOf>;
}

/** Resolves when `socket` closes; rejects after `ms`. */
export function closed(socket: net.Socket, ms = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) return resolve();
    const t = setTimeout(() => reject(new Error('socket still open')), ms);
    socket.once('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
}
