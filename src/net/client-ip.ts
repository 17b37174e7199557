import { BlockList } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { canonicalIp, canonicalPeer } from './ip.js';

/**
 * Who the client is (SPEC §4): the TCP peer, or — when the peer is one of
 * `server.trusted_proxies` — the right-most address of `X-Forwarded-For` that
 * is not itself a trusted proxy. Everything left of that hop was written by
 * the client and is ignored, so a spoofed header buys no fresh budget.
 *
 * Walk rules, right to left over every `X-Forwarded-For` field line:
 *  - empty list members are skipped;
 *  - a member that is not an IP address (garbage, `unknown`) stops the walk:
 *    the client is the last trusted hop seen (nothing further is reliable);
 *  - every member is canonicalised (ports and brackets dropped, IPv4-mapped
 *    IPv6 as IPv4, IPv6 per RFC 5952);
 *  - at most `maxHops` trusted hops are walked; then the last one seen is the client;
 *  - when every hop is trusted, the left-most one is the client.
 */
export interface ClientIpResolver {
  /** Canonical client IP from the raw peer address and the `X-Forwarded-For` field value(s). */
  resolve(peer: string | undefined, xff: string | string[] | undefined): string;
  /** Whether a canonical address is a trusted proxy. */
  trusts(ip: string): boolean;
  /** The client IP of a request and whether its TCP peer is a trusted proxy. */
  fromRequest(req: IncomingMessage): { ip: string; trusted: boolean };
}

export interface ClientIpOptions {
  /** Most trusted hops walked before giving up (bounds the work a long header can cause). Default 20. */
  maxHops?: number;
}

const UNTRUSTED: ClientIpResolver = {
  resolve: (peer) => canonicalPeer(peer),
  trusts: () => false,
  fromRequest: (req) => ({ ip: canonicalPeer(req.socket.remoteAddress), trusted: false }),
};

/** Compile `trusted_proxies` (IPs and CIDRs, v4 and v6) once; throws on an entry that is neither. */
export function compileClientIp(trustedProxies: readonly string[], opts: ClientIpOptions = {}): ClientIpResolver {
  // Fast path: nothing is trusted, X-Forwarded-For is never read.
  if (trustedProxies.length === 0) return UNTRUSTED;
  const list = compileTrusted(trustedProxies);
  const maxHops = opts.maxHops ?? 20;
  // BlockList.check builds a native SocketAddress per call; proxies and
  // clients repeat, so a bounded memo keeps the check at one Map lookup.
  const memo = new Map<string, boolean>();
  const trusts = (ip: string): boolean => {
    let t = memo.get(ip);
    if (t === undefined) {
      t = ip.length > 0 && list.check(ip, ip.indexOf(':') >= 0 ? 'ipv6' : 'ipv4');
      if (memo.size >= 8192) memo.clear();
      memo.set(ip, t);
    }
    return t;
  };

  const walk = (peer: string, xff: string | string[]): string => {
    let client = peer;
    let hops = 0;
    const lines = typeof xff === 'string' ? null : xff;
    for (let li = lines === null ? 0 : lines.length - 1; li >= 0; li--) {
      const s = lines === null ? (xff as string) : lines[li]!;
      let end = s.length;
      while (end > 0) {
        const comma = s.lastIndexOf(',', end - 1);
        const start = comma + 1;
        if (end - start > 0) {
          const entry = s.slice(start, end);
          if (entry.trim().length > 0) {
            const ip = canonicalIp(entry);
            if (ip === null) return client; // garbage: stop at the last hop we can vouch for
            if (!trusts(ip)) return ip;
            client = ip;
            if (++hops >= maxHops) return client;
          }
        }
        end = comma < 0 ? 0 : comma;
      }
    }
    return client;
  };

  const resolve = (rawPeer: string | undefined, xff: string | string[] | undefined): string => {
    const peer = canonicalPeer(rawPeer);
    if (xff === undefined || !trusts(peer)) return peer;
    return walk(peer, xff);
  };

  return {
    resolve,
    trusts,
    fromRequest(req) {
      const peer = canonicalPeer(req.socket.remoteAddress);
      if (!trusts(peer)) return { ip: peer, trusted: false };
      const xff = req.headers['x-forwarded-for'];
      return { ip: xff === undefined ? peer : walk(peer, xff), trusted: true };
    },
  };
}

function compileTrusted(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const raw of entries) {
    const [addrText = '', prefixText, extra] = raw.trim().split('/');
    const addr = canonicalIp(addrText);
    const mapped = addr !== null && addr.indexOf(':') < 0 && addrText.indexOf(':') >= 0; // ::ffff:a.b.c.d
    const family = addr === null ? null : addr.indexOf(':') >= 0 ? 'ipv6' : 'ipv4';
    const bits = family === 'ipv6' ? 128 : mapped ? 128 : 32;
    const prefix = prefixText === undefined ? bits : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : -1;
    if (addr === null || family === null || extra !== undefined || prefix < 0 || prefix > bits || (mapped && prefix < 96)) {
      throw new RangeError(`trusted_proxies: ${JSON.stringify(raw)} is not an IP address or CIDR`);
    }
    list.addSubnet(addr, mapped ? prefix - 96 : prefix, family);
  }
  return list;
}
