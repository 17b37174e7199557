/**
 * A strict RFC 8941 Dictionary parser, for `CDN-Cache-Control` (RFC 9213),
 * which is a Structured Field: a field that does not parse is ignored as a
 * whole and `Cache-Control` applies instead. Only what the cache needs is
 * returned: each key with its bare item (parameters are parsed and dropped).
 * No npm package was worth a dependency for these ~100 lines.
 */
export type BareItem =
  | { type: 'integer'; value: number }
  | { type: 'decimal'; value: number }
  | { type: 'string'; value: string }
  | { type: 'token'; value: string }
  | { type: 'bytes'; value: string }
  | { type: 'boolean'; value: boolean }
  | { type: 'inner-list' };

class Parser {
  i = 0;
  constructor(readonly s: string) {}
  peek(): string { return this.s[this.i] ?? ''; }
  eof(): boolean { return this.i >= this.s.length; }
  sp(): void { while (this.peek() === ' ') this.i++; }
  ows(): void { while (this.peek() === ' ' || this.peek() === '\t') this.i++; }
}

const KEY_FIRST = /[a-z*]/;
const KEY_CHAR = /[a-z0-9_\-.*]/;
const TOKEN_FIRST = /[A-Za-z*]/;
const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z:/]/;

function key(p: Parser): string | null {
  if (!KEY_FIRST.test(p.peek())) return null;
  const start = p.i;
  while (!p.eof() && KEY_CHAR.test(p.peek())) p.i++;
  return p.s.slice(start, p.i);
}

function bareItem(p: Parser): BareItem | null {
  const c = p.peek();
  if (c === '-' || (c >= '0' && c <= '9')) {
    const m = /^-?[0-9]{1,15}(\.[0-9]{1,3})?/.exec(p.s.slice(p.i));
    if (!m) return null;
    const text = m[0];
    const intPart = text.replace(/^-/, '').split('.')[0]!;
    if (m[1] !== undefined && intPart.length > 12) return null;
    p.i += text.length;
    if (m[1] === undefined && p.peek() === '.') return null;
    return m[1] !== undefined ? { type: 'decimal', value: Number(text) } : { type: 'integer', value: Number(text) };
  }
  if (c === '"') {
    p.i++;
    let out = '';
    while (!p.eof()) {
      const ch = p.s[p.i++]!;
      if (ch === '\\') {
        const nx = p.s[p.i++];
        if (nx !== '"' && nx !== '\\') return null;
        out += nx;
      } else if (ch === '"') {
        return { type: 'string', value: out };
      } else {
        const code = ch.charCodeAt(0);
        if (code < 0x20 || code > 0x7e) return null;
        out += ch;
      }
    }
    return null;
  }
  if (c === ':') {
    const end = p.s.indexOf(':', p.i + 1);
    if (end === -1) return null;
    const b = p.s.slice(p.i + 1, end);
    if (!/^[A-Za-z0-9+/=]*$/.test(b)) return null;
    p.i = end + 1;
    return { type: 'bytes', value: b };
  }
  if (c === '?') {
    const v = p.s[p.i + 1];
    if (v !== '0' && v !== '1') return null;
    p.i += 2;
    return { type: 'boolean', value: v === '1' };
  }
  if (TOKEN_FIRST.test(c)) {
    const start = p.i;
    while (!p.eof() && TOKEN_CHAR.test(p.peek())) p.i++;
    return { type: 'token', value: p.s.slice(start, p.i) };
  }
  return null;
}

function params(p: Parser): boolean {
  while (p.peek() === ';') {
    p.i++;
    p.sp();
    if (key(p) === null) return false;
    if (p.peek() === '=') {
      p.i++;
      const v = bareItem(p);
      if (v === null || v.type === 'inner-list') return false;
    }
  }
  return true;
}

function innerList(p: Parser): boolean {
  p.i++; // (
  for (;;) {
    p.sp();
    if (p.peek() === ')') {
      p.i++;
      return params(p);
    }
    if (bareItem(p) === null || !params(p)) return false;
    const c = p.peek();
    if (c !== ' ' && c !== ')') return false;
  }
}

/** The dictionary's members, or null when the field is not a valid Dictionary. */
export function parseDictionary(field: string): Map<string, BareItem> | null {
  const p = new Parser(field.replace(/^ +| +$/g, ''));
  const out = new Map<string, BareItem>();
  while (!p.eof()) {
    const k = key(p);
    if (k === null) return null;
    let item: BareItem = { type: 'boolean', value: true };
    if (p.peek() === '=') {
      p.i++;
      if (p.peek() === '(') {
        if (!innerList(p)) return null;
        item = { type: 'inner-list' };
      } else {
        const v = bareItem(p);
        if (v === null || !params(p)) return null;
        item = v;
      }
    } else if (!params(p)) return null;
    out.set(k, item); // RFC 8941: the last duplicate wins
    p.ows();
    if (p.eof()) return out;
    if (p.peek() !== ',') return null;
    p.i++;
    p.ows();
    if (p.eof()) return null; // trailing comma
  }
  return out;
}
