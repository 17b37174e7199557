/**
 * A route's `methods` as a set. GET implies HEAD (as in NGINX's
 * `limit_except GET`, and as the app answers HEAD with its GET handler), so a
 * HEAD request can never fall through to another route without GET's
 * policies. `null`: any method.
 */
export function methodSet(methods: readonly string[] | null): ReadonlySet<string> | null {
  if (methods === null) return null;
  const s = new Set(methods);
  if (s.has('GET')) s.add('HEAD');
  return s;
}
