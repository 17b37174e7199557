/**
 * The one normalised form of a request target that routing, caching, rate
 * limiting and forwarding all use, so no spelling of a path can reach a route
 * without that route's policies.
 *
 * Normalised (the request goes on with the clean path):
 *   - `//` collapsed, `.` segments removed, `..` segments resolved
 *   - percent-encoded unreserved characters decoded (`%2e` → `.`, `%7E` → `~`),
 *     hex digits of the remaining escapes upper-cased
 *   - a fragment (`#...`) dropped; an empty query (`?` alone) dropped
 *   - a trailing slash removed (`/a/b/` → `/a/b`), except for `/` itself
 * Rejected with 400 (returns null):
 *   - `..` that would climb above the root
 *   - an encoded slash or backslash (`%2F`, `%5C`), a raw backslash, an encoded
 *     or raw NUL / control character: they mean different paths to different
 *     servers, so no guess is safe
 *   - a target that is not origin-form (`*`, or not starting with `/`) — the
 *     absolute form is turned into origin form by the caller first
 *   - malformed escapes (`%zz`, `%4`)
 * Case is kept: routes are case-sensitive, as the app's are.
 */
export interface Target {
  path: string;
  query: string;
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

export function normalizeTarget(raw: string): Target | null {
  let end = raw.length;
  const hash = raw.indexOf('#');
  if (hash !== -1) end = hash;
  const q = raw.indexOf('?');
  let query = '';
  let pathPart: string;
  if (q !== -1 && q < end) {
    pathPart = raw.slice(0, q);
    query = end - q > 1 ? raw.slice(q, end) : '';
  } else {
    pathPart = raw.slice(0, end);
  }
  if (pathPart.charCodeAt(0) !== 47 /* / */) return null;
  // Fast path: nothing to clean in the common case.
  if (isClean(pathPart)) return { path: pathPart, query };
  const path = cleanPath(pathPart);
  return path === null ? null : { path, query };
}

function isClean(p: string): boolean {
  const n = p.length;
  if (n > 1 && p.charCodeAt(n - 1) === 47) return false;
  for (let i = 0; i < n; i++) {
    const c = p.charCodeAt(i);
    if (c === 37 /* % */ || c === 92 /* \ */ || c < 33 || c === 127) return false;
    if (c === 47 && i + 1 < n) {
      const d = p.charCodeAt(i + 1);
      if (d === 47) return false;
      if (d === 46 /* . */) {
        const e = i + 2 < n ? p.charCodeAt(i + 2) : 47;
        if (e === 47 || (e === 46 && (i + 3 >= n || p.charCodeAt(i + 3) === 47))) return false;
      }
    }
  }
  return true;
}

function cleanPath(p: string): string | null {
  const decoded = decodeUnreserved(p);
  if (decoded === null) return null;
  const out: string[] = [];
  for (const seg of decoded.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) return null;
      out.pop();
      continue;
    }
    out.push(seg);
  }
  return '/' + out.join('/');
}

function decodeUnreserved(p: string): string | null {
  let s = '';
  for (let i = 0; i < p.length; i++) {
    const ch = p[i]!;
    const c = ch.charCodeAt(0);
    if (c === 92 || c < 33 || c === 127) return null;
    if (ch !== '%') {
      s += ch;
      continue;
    }
    const hex = p.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
    const code = parseInt(hex, 16);
    const dec = String.fromCharCode(code);
    if (code === 0x2f || code === 0x5c || code < 0x20 || code === 0x7f) return null;
    s += UNRESERVED.test(dec) ? dec : '%' + hex.toUpperCase();
    i += 2;
  }
  return s;
}
