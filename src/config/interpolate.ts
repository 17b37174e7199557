/**
 * `${NAME}` and `${NAME:-default}` in the policy text, replaced from the
 * environment before YAML parsing (secrets stay out of ConfigMaps).
 *
 * - `${NAME}` must be set (empty is fine); otherwise it is an error at its position.
 * - `${NAME:-default}` uses `default` when NAME is unset or empty (as in sh).
 * - `$${` writes a literal `${`.
 * - Comments are left alone: a `#` at the start of a line or after a space,
 *   outside a quoted string on that line, starts one. So a commented-out
 *   `# url: redis://:${REDIS_PASSWORD}@...` needs no variable.
 *
 * The text is substituted as is: a value with YAML syntax in it (`: `, ` #`,
 * a leading `*` or `&`) needs quotes around the reference in the file, e.g.
 * `admin_token: "${SONO_GUARD_ADMIN_TOKEN}"`.
 *
 * Positions: the substituted text is what YAML parses, but errors must point
 * into the file the operator wrote. Each replacement is recorded, so
 * `originalOffset()` maps any offset of the substituted text back (an offset
 * inside a replaced value maps to its `${`). This is exact even when a value is
 * longer or shorter than its reference, or spans lines.
 */

export interface InterpolationError { offset: number; message: string }

export interface Interpolated {
  text: string;
  errors: InterpolationError[];
  /** Offset in the original text of an offset in the substituted text. */
  originalOffset(offset: number): number;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Where the comment on this line starts, or the line's length when it has none. */
function commentStart(line: string): number {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    const prev = i === 0 ? ' ' : line[i - 1]!;
    if (quote === '"') {
      if (c === '\\') i++;
      else if (c === '"') quote = null;
    } else if (quote === "'") {
      if (c === "'" && line[i + 1] === "'") i++; // `''` is an escaped quote
      else if (c === "'") quote = null;
    } else if ((c === '"' || c === "'") && /[\s:[{,-]/.test(prev)) {
      quote = c;
    } else if (c === '#' && /\s/.test(prev)) {
      return i;
    }
  }
  return line.length;
}

export function interpolate(source: string, env: Readonly<Record<string, string | undefined>>): Interpolated {
  const out: string[] = [];
  const errors: InterpolationError[] = [];
  // Replaced spans: [offset in output, offset in source, length in output, length in source].
  const spans: Array<[number, number, number, number]> = [];
  let outLength = 0;
  let copiedTo = 0; // source offset up to which text was emitted

  const replace = (from: number, to: number, value: string): void => {
    out.push(source.slice(copiedTo, from));
    outLength += from - copiedTo;
    spans.push([outLength, from, value.length, to - from]);
    out.push(value);
    outLength += value.length;
    copiedTo = to;
  };

  let lineStart = 0;
  while (lineStart < source.length) {
    const nl = source.indexOf('\n', lineStart);
    const lineEnd = nl < 0 ? source.length : nl;
    const line = source.slice(lineStart, lineEnd);
    const codeEnd = commentStart(line);
    for (let i = line.indexOf('$'); i >= 0 && i < codeEnd; i = line.indexOf('$', i + 1)) {
      const at = lineStart + i;
      if (line.startsWith('$${', i)) {
        replace(at, at + 3, '${');
        i += 2;
        continue;
      }
      if (!line.startsWith('${', i)) continue;
      const close = line.indexOf('}', i);
      if (close < 0 || close > codeEnd) {
        errors.push({ offset: at, message: 'unterminated "${": write ${NAME}, ${NAME:-default}, or $${ for a literal "${"' });
        break;
      }
      const inner = line.slice(i + 2, close);
      const sep = inner.indexOf(':-');
      const name = sep < 0 ? inner : inner.slice(0, sep);
      const fallback = sep < 0 ? undefined : inner.slice(sep + 2);
      let value: string | undefined;
      if (!NAME.test(name)) {
        errors.push({ offset: at, message: `bad variable reference "\${${inner}}": expected \${NAME} or \${NAME:-default}` });
      } else if (fallback !== undefined) {
        value = env[name] ? env[name] : fallback;
      } else if (env[name] === undefined) {
        errors.push({ offset: at, message: `environment variable ${name} is not set (write \${${name}:-} to allow it unset)` });
      } else {
        value = env[name];
      }
      replace(at, lineStart + close + 1, value ?? '');
      i = close;
    }
    lineStart = lineEnd + 1;
  }
  out.push(source.slice(copiedTo));

  const originalOffset = (offset: number): number => {
    let delta = 0;
    for (const [outAt, srcAt, outLen, srcLen] of spans) {
      if (offset < outAt) break;
      if (offset < outAt + outLen) return srcAt;
      delta = srcAt + srcLen - (outAt + outLen);
    }
    return offset + delta;
  };

  return { text: out.join(''), errors, originalOffset };
}
