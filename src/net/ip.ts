import { isIPv4, isIPv6 } from 'node:net';

/**
 * Canonical text forms of IP addresses, so one client is always one rate-limit
 * key: IPv4 as a dotted quad, IPv4-mapped IPv6 (`::ffff:1.2.3.4`) as IPv4,
 * other IPv6 per RFC 5952 (lower case, no leading zeros, the longest run of
 * two or more zero groups compressed to `::`), zone ids dropped.
 */

/**
 * Canonical form of an address as it appears in `X-Forwarded-For`: surrounding
 * spaces, `[v6]`, `[v6]:port` and `v4:port` are accepted. Null when the text
 * is not an IP address (garbage, `unknown`, host names, obfuscated RFC 7239 ids).
 */
export function canonicalIp(input: string): string | null {
  let s = input.trim();
  if (s.length === 0 || s.length > 64) return null;
  if (s.charCodeAt(0) === 91 /* [ */) {
    const end = s.indexOf(']');
    if (end < 0) return null;
    const rest = s.slice(end + 1);
    if (rest.length > 0 && !/^:\d{1,5}$/.test(rest)) return null;
    s = s.slice(1, end);
    return canonicalV6(s);
  }
  const colon = s.indexOf(':');
  if (colon < 0) return isIPv4(s) ? s : null;
  if (s.indexOf(':', colon + 1) < 0) {
    // exactly one colon: "v4:port" (a bare IPv6 address has at least two)
    const host = s.slice(0, colon);
    return /^\d{1,5}$/.test(s.slice(colon + 1)) && isIPv4(host) ? host : null;
  }
  return canonicalV6(s);
}

/**
 * Canonical form of a TCP peer address as Node reports it (`socket.remoteAddress`):
 * already a valid address, so the common shapes take a fast path.
 */
export function canonicalPeer(addr: string | undefined): string {
  if (addr === undefined || addr.length === 0) return '';
  if (addr.indexOf(':') < 0) return addr; // IPv4 from the kernel is canonical
  if (addr.startsWith('::ffff:') && addr.indexOf('.') > 0) return addr.slice(7); // dual-stack IPv4
  const cached = v6Memo.get(addr);
  if (cached !== undefined) return cached;
  const c = canonicalV6(addr) ?? addr;
  if (v6Memo.size >= MEMO_MAX) v6Memo.clear();
  v6Memo.set(addr, c);
  return c;
}

// Peers are few (clients, load balancers); a bounded memo keeps IPv6 peers at one lookup.
const MEMO_MAX = 4096;
const v6Memo = new Map<string, string>();

/** IPv6 text (no brackets, maybe a zone id) → canonical text; IPv4-mapped → IPv4. */
export function canonicalV6(text: string): string | null {
  const pct = text.indexOf('%');
  const s = (pct >= 0 ? text.slice(0, pct) : text).toLowerCase();
  if (!isIPv6(s)) return null;
  const g = parseV6(s);
  if (g === null) return null;
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
  }
  return formatV6(g);
}

/** Eight 16-bit groups of a valid IPv6 text (validated by isIPv6 first). */
function parseV6(s: string): number[] | null {
  const groups: number[] = [];
  const dbl = s.indexOf('::');
  const head = dbl >= 0 ? s.slice(0, dbl) : s;
  const tail = dbl >= 0 ? s.slice(dbl + 2) : '';
  const left = head.length > 0 ? head.split(':') : [];
  const right = tail.length > 0 ? tail.split(':') : [];
  const expand = (parts: string[]): number[] | null => {
    const out: number[] = [];
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (p.indexOf('.') >= 0) {
        if (i !== parts.length - 1 || !isIPv4(p)) return null;
        const o = p.split('.').map(Number);
        out.push((o[0]! << 8) | o[1]!, (o[2]! << 8) | o[3]!);
      } else {
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const l = expand(left);
  const r = expand(right);
  if (l === null || r === null) return null;
  const fill = 8 - l.length - r.length;
  if (fill < 0 || (dbl < 0 && fill !== 0)) return null;
  groups.push(...l);
  for (let i = 0; i < fill; i++) groups.push(0);
  groups.push(...r);
  return groups;
}

/** RFC 5952 §4: lower-case hex, no leading zeros, compress the first longest run (≥ 2) of zeros. */
function formatV6(g: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (from: number, to: number) => g.slice(from, to).map((n) => n.toString(16)).join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}
