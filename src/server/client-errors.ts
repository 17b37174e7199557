import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Exchange } from '../pipeline/exchange.js';
import { problem, type ProblemCode } from '../pipeline/problem.js';

/**
 * Answers for traffic that never becomes a request: Node's HTTP parser
 * (llhttp) refused it, or a timeout fired before it was complete. Node's own
 * answers here are empty `400`/`408`/`431` bodies; these are problem+json
 * like every other error of the proxy, with a request id the client can quote.
 *
 * What llhttp rejects on its own (Node 20, verified by test/edge/framing):
 * Content-Length together with Transfer-Encoding, duplicate or non-numeric
 * Content-Length, Transfer-Encoding whose last coding is not `chunked`,
 * obsolete line folding, invalid characters in header names and values
 * (NUL, CR, DEL, spaces before the colon), bare LF line ends, bad chunk sizes
 * and unknown methods. The rest is checked per request in `framing.ts`.
 */

const LINGER_MS = 500;
const ID_IN_RAW = /\r\nx-request-id:[ \t]*([A-Za-z0-9._:-]{1,128})[ \t]*\r\n/i;

interface Classified {
  code: ProblemCode;
  status: number;
  detail: string;
}

export function classifyClientError(err: NodeJS.ErrnoException & { reason?: string }, inRequest: boolean): Classified {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { code: 'bad_request', status: 431, detail: 'The request header block is larger than server.max_header_bytes' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return inRequest
        ? { code: 'request_timeout', status: 408, detail: 'The request body was not received within server.request_timeout' }
        : { code: 'request_timeout', status: 408, detail: 'The request headers were not received within server.header_timeout' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { code: 'payload_too_large', status: 413, detail: 'Chunk extensions are too large' };
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return { code: 'bad_request', status: 400, detail: `Ambiguous message framing: ${reasonOf(err)}` };
    default:
      return { code: 'bad_request', status: 400, detail: `Malformed HTTP request: ${reasonOf(err)}` };
  }
}

/** llhttp's reason is a fixed phrase ("Invalid header value char"); nothing else of the error is shown. */
function reasonOf(err: { reason?: string }): string {
  const r = err.reason;
  return typeof r === 'string' && /^[\x20-\x7e]{1,100}$/.test(r) ? r : 'unparsable request';
}

/**
 * A complete HTTP/1.1 response carrying a problem+json body, written straight
 * to a socket (no request object exists). `problem()` only reads the id and
 * records the code, so a minimal stand-in for the exchange is enough.
 */
export function rawProblem(id: string, code: ProblemCode, detail: string, status?: number, extra: Record<string, string | number> = {}): Buffer {
  const facts = { id, errorCode: null } as unknown as Exchange;
  const reply = problem(facts, code, detail, { ...extra, 'x-request-id': id, connection: 'close' }, status);
  let head = `HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? 'Error'}\r\n`;
  for (const [k, v] of Object.entries(reply.headers)) head += `${k}: ${String(v)}\r\n`;
  return Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), reply.body as Buffer]);
}

/**
 * Write `bytes` and close. The socket lingers briefly so a client still
 * sending (an oversized header block) reads the answer instead of a reset,
 * then it is destroyed whatever the peer does.
 */
export function answerAndClose(socket: Duplex, bytes: Buffer): void {
  socket.on('error', noop);
  socket.end(bytes);
  socket.once('end', () => socket.destroy());
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/** The server's `clientError` listener. */
export function clientErrorHandler(log: Logger) {
  return (err: NodeJS.ErrnoException & { rawPacket?: Buffer; reason?: string }, socket: Duplex): void => {
    // Parse errors repeat while the lingering socket still receives data: answer once.
    if (socket.writableEnded) return;
    const res = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage ?? null;
    if (err.code === 'ECONNRESET' || !socket.writable || (res !== null && res.headersSent)) {
      socket.destroy();
      return;
    }
    const c = classifyClientError(err, res !== null);
    const id = requestIdFrom(err.rawPacket, res?.req);
    answerAndClose(socket, rawProblem(id, c.code, c.detail, c.status));
    const quiet = (socket as Duplex & { bytesRead?: number }).bytesRead === 0;
    log[quiet ? 'debug' : 'info'](
      { request_id: id, status_code: c.status, error_code: err.code, client_ip: remoteOf(socket) },
      `Request rejected before routing: ${c.status} ${c.detail}`,
    );
  };
}

/** `CONNECT` is for forward proxies; a reverse proxy refuses it clearly instead of dropping the socket. */
export function connectHandler(log: Logger) {
  return (req: IncomingMessage, socket: Duplex): void => {
    const id = randomUUID();
    answerAndClose(socket, rawProblem(id, 'bad_request', 'CONNECT is not supported: this is a reverse proxy'));
    log.info({ request_id: id, status_code: 400, method: 'CONNECT', client_ip: remoteOf(socket) }, 'Request rejected before routing: CONNECT');
    req.resume();
  };
}

/**
 * An `Expect` other than `100-continue`: 417 as RFC 9110 §10.1.1 says, as
 * problem+json (Node's own answer has an empty body). Nothing is forwarded.
 */
export function expectationFailed(log: Logger) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const id = requestIdFrom(undefined, req);
    const reply = problem({ id, errorCode: null } as unknown as Exchange, 'bad_request', 'Only "Expect: 100-continue" is supported', { 'x-request-id': id }, 417);
    res.shouldKeepAlive = false;
    res.writeHead(reply.status, reply.headers);
    res.end(reply.body);
    req.resume();
    log.info({ request_id: id, status_code: 417, method: req.method, client_ip: remoteOf(req.socket) }, 'Request rejected before routing: 417 unsupported Expect');
  };
}

function requestIdFrom(raw: Buffer | undefined, req: IncomingMessage | undefined): string {
  const fromReq = req?.headers['x-request-id'];
  if (typeof fromReq === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(fromReq)) return fromReq;
  if (raw !== undefined) {
    const m = ID_IN_RAW.exec(raw.toString('latin1', 0, Math.min(raw.length, 64 * 1024)));
    if (m) return m[1]!;
  }
  return randomUUID();
}

function remoteOf(socket: Duplex): string | null {
  return (socket as Duplex & { remoteAddress?: string }).remoteAddress ?? null;
}

function noop(): void {}
