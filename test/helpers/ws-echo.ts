import http from 'node:http';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * A minimal WebSocket echo upstream (RFC 6455 handshake, unfragmented text
 * frames up to 64 KiB) for the pass-through test. `/ws/forbidden` refuses the
 * upgrade with 403. It records the upgrade requests' headers.
 */
export async function startWsEcho(): Promise<{ url: string; seen: http.IncomingHttpHeaders[]; close(): Promise<void> }> {
  const seen: http.IncomingHttpHeaders[] = [];
  const sockets = new Set<Duplex>();
  const server = http.createServer((_req, res) => res.end('ok'));
  server.on('upgrade', (req, socket: Duplex) => {
    sockets.add(socket);
    seen.push(req.headers);
    if (req.url === '/ws/forbidden') {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        if (pending.length < 2) return;
        const opcode = pending[0]! & 0x0f;
        let len = pending[1]! & 0x7f;
        let off = 2;
        if (len === 126) {
          if (pending.length < 4) return;
          len = pending.readUInt16BE(2);
          off = 4;
        }
        if (pending.length < off + 4 + len) return;
        const mask = pending.subarray(off, off + 4);
        const payload = Buffer.from(pending.subarray(off + 4, off + 4 + len));
        pending = pending.subarray(off + 4 + len);
        if (opcode === 0x8) return void socket.end(Buffer.from([0x88, 0x00]));
        for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
        const head = len < 126 ? Buffer.from([0x81, len]) : Buffer.from([0x81, 126, len >> 8, len & 0xff]);
        socket.write(Buffer.concat([head, payload]));
      }
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
