import { readFileSync } from 'node:fs';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import { interpolate } from './interpolate.js';
import { type PolicyError, policyErrors } from './issues.js';
import { policyErrorMap } from './messages.js';
import { type Policy, PolicySchema } from './schema.js';

/**
 * Policy file → frozen `Policy`, or every error as
 * `FILE:LINE:COL path.to.field: message` (1-based, positions in the file as
 * written, before `${...}` substitution), sorted by position.
 *
 * Steps: substitute `${...}` (stop on a missing variable: what follows would
 * only be noise), parse YAML keeping node ranges (stop on a syntax error),
 * validate with the schema, then map each issue's path back to its YAML node.
 */

export type LoadResult =
  | { ok: true; policy: Policy; file: string; text: string }
  | { ok: false; file: string; errors: string[] };

/** Read and validate a policy file. `text` in the result is the file as written. */
export function loadPolicyFile(file: string, env: NodeJS.ProcessEnv = process.env): LoadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, file, errors: [`${file}:1:1: cannot read the policy file: ${(err as Error).message}`] };
  }
  return parsePolicyText(text, file, env);
}

export function parsePolicyText(text: string, file: string, env: NodeJS.ProcessEnv = process.env): LoadResult {
  const lines = new LineCounter();
  lines.addNewLine(0);
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines.addNewLine(i + 1);
  const at = (offset: number, path: readonly PropertyKey[], message: string): Located => {
    const { line, col } = lines.linePos(offset);
    const where = path.length ? ` ${path.map(String).join('.')}` : '';
    return { offset, text: `${file}:${line}:${col}${where}: ${message}` };
  };
  const fail = (errors: Located[]): LoadResult => ({ ok: false, file, errors: sortByPosition(errors) });

  const sub = interpolate(text, env);
  if (sub.errors.length) return fail(sub.errors.map((e) => at(e.offset, [], e.message)));

  const doc = parseDocument(sub.text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    return fail(doc.errors.map((e) => at(sub.originalOffset(e.pos[0]), [], e.code === 'MULTIPLE_DOCS'
      ? 'a policy file is one YAML document: remove the second "---" and what follows, or merge it'
      : e.message)));
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) {
    return fail([at(0, [], 'the policy file is empty: it needs at least "version: 1" and "upstream: { url: ... }"')]);
  }
  if (!isMap(root)) {
    const got = isSeq(root) ? 'a list' : 'a single value';
    return fail([at(sub.originalOffset(root.range?.[0] ?? 0), [], `expected a mapping of sections (version, server, upstream, ...), got ${got}`)]);
  }

  const parsed = PolicySchema.safeParse(doc.toJS({ maxAliasCount: 100 }), { error: policyErrorMap });
  if (!parsed.success) {
    return fail(policyErrors(parsed.error.issues, PolicySchema).map((e) => at(sub.originalOffset(offsetOf(doc, e)), e.path, e.message)));
  }
  return { ok: true, policy: deepFreeze(parsed.data), file, text };
}

interface Located { offset: number; text: string }

function sortByPosition(errors: Located[]): string[] {
  const unique = new Map<string, Located>();
  for (const e of errors) if (!unique.has(e.text)) unique.set(e.text, e);
  return [...unique.values()].sort((a, b) => a.offset - b.offset).map((e) => e.text);
}

/**
 * Offset (in the parsed text) an error points at: the key for `at: 'key'`, the
 * value otherwise; a path that does not exist (a missing field) points at the
 * deepest mapping or list that does.
 */
function offsetOf(doc: Document, error: PolicyError): number {
  let node: Node | null = doc.contents as Node | null;
  let key: Node | null = null;
  for (const segment of error.path) {
    if (isAlias(node)) node = (node.resolve(doc) as Node | undefined) ?? node;
    if (isMap(node)) {
      const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(segment));
      if (!pair) break;
      key = pair.key as Node;
      node = (pair.value as Node | null) ?? key;
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment]) {
      key = null;
      node = node.items[segment] as Node;
    } else {
      break;
    }
  }
  const target = error.at === 'key' && key ? key : node;
  return target?.range?.[0] ?? 0;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
