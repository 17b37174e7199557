/**
 * Syntax of route path patterns (the matcher itself lives with the router).
 *
 *   /api/v1/assessments      exact
 *   /api/v1/assessments/*    `*` is exactly one segment
 *   /docs/**                 `**` is any rest (zero or more segments), last only
 *
 * A pattern starts with `/`, has no empty segment (`//`), no query or fragment,
 * and `*` is only ever a whole segment. Express-style `:id` and `{id}` are
 * refused rather than silently matched as literals.
 */

const LITERAL = /^[A-Za-z0-9\-._~!$&'()+,;=:@%]*$/;

/** The reason `pattern` is not a valid path pattern, or null when it is. */
export function pathPatternError(pattern: string): string | null {
  const show = JSON.stringify(pattern);
  if (!pattern.startsWith('/')) return `path pattern ${show} must start with "/"`;
  if (/[?#]/.test(pattern)) return `path pattern ${show} must not contain a query or fragment ("?" or "#")`;
  const segments = pattern.slice(1).split('/');
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const last = i === segments.length - 1;
    if (seg === '*') continue;
    if (seg === '**') {
      if (last) continue;
      return `path pattern ${show}: "**" may only be the last segment`;
    }
    if (seg === '' && !last) return `path pattern ${show} has an empty segment ("//")`;
    if (seg.includes('*')) return `path pattern ${show}: "*" must be a whole segment ("/*/" or a final "/**")`;
    if (seg.startsWith(':') || /[{}]/.test(seg)) {
      return `path pattern ${show}: parameters like ":id" or "{id}" are not supported; use "*" for one segment`;
    }
    if (!LITERAL.test(seg)) return `path pattern ${show} has a character not allowed in a URL path in segment "${seg}"`;
  }
  return null;
}
