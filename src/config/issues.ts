import type * as z from 'zod';
import { closest } from './suggest.js';

/**
 * zod issues turned into one error per mistake, each saying whether it is
 * about a key (unknown or badly named: point at the key) or a value.
 */

export interface PolicyError {
  path: PropertyKey[];
  /** `key`: the mistake is the key itself; `value`: the value under `path` (or, when missing, its parent). */
  at: 'key' | 'value';
  message: string;
}

interface Def {
  type: string;
  shape?: Record<string, Node>;
  in?: Node;
  innerType?: Node;
  valueType?: Node;
  element?: Node;
  options?: Node[];
}
interface Node { _zod: { def: Def } }

/** The keys an object schema found at `path` accepts (through defaults, pipes, records, arrays, unions). */
export function keysAt(schema: unknown, path: readonly PropertyKey[]): string[] {
  const def = (schema as Node)._zod.def;
  const next = def.in ?? def.innerType;
  if (next) return keysAt(next, path);
  if (def.type === 'union') {
    for (const option of def.options ?? []) {
      const keys = keysAt(option, path);
      if (keys.length) return keys;
    }
    return [];
  }
  if (def.type === 'object' && def.shape) {
    if (path.length === 0) return Object.keys(def.shape);
    const child = def.shape[String(path[0])];
    return child ? keysAt(child, path.slice(1)) : [];
  }
  const child = def.type === 'record' ? def.valueType : def.type === 'array' ? def.element : undefined;
  return child && path.length ? keysAt(child, path.slice(1)) : [];
}

/** A union branch that failed only because the value had another type. */
function wrongType(branch: readonly z.core.$ZodIssue[]): boolean {
  return branch.length === 1 && branch[0]!.code === 'invalid_type' && branch[0]!.path.length === 0;
}

/**
 * One error per mistake. A misspelt required key is one mistake: the "unknown
 * key (did you mean ...)" error stands, the "required" error for the key it
 * meant is dropped.
 */
export function policyErrors(issues: readonly z.core.$ZodIssue[], schema: unknown): PolicyError[] {
  const errors = collect(issues, schema, []);
  const meant = new Set(errors.flatMap((e) => (e.meant ? [JSON.stringify([...e.path.slice(0, -1), e.meant])] : [])));
  return errors
    .filter((e) => !(e.message === 'required' && meant.has(JSON.stringify(e.path))))
    .map(({ path, at, message }) => ({ path, at, message }));
}

/** `meant`: for an unknown key, the known key it is closest to. */
type Collected = PolicyError & { meant?: string };

function collect(issues: readonly z.core.$ZodIssue[], schema: unknown, prefix: PropertyKey[]): Collected[] {
  const out: Collected[] = [];
  for (const iss of issues) {
    const path = [...prefix, ...iss.path];
    switch (iss.code) {
      case 'unrecognized_keys': {
        const known = keysAt(schema, path);
        for (const key of iss.keys) {
          const meant = closest(key, known);
          const hint = meant === null ? '' : ` (did you mean "${meant}"?)`;
          out.push({ path: [...path, key], at: 'key', message: `unknown key "${key}"${hint}`, ...(meant === null ? {} : { meant }) });
        }
        break;
      }
      case 'invalid_key':
        out.push({ path, at: 'key', message: iss.issues[0]?.message ?? iss.message });
        break;
      case 'invalid_union': {
        // When every branch but one failed on the type alone, that branch is what was meant.
        const intended = iss.errors.filter((branch) => !wrongType(branch));
        if (intended.length === 1) out.push(...collect(intended[0]!, schema, path));
        else out.push({ path, at: 'value', message: iss.message });
        break;
      }
      default:
        out.push({ path, at: 'value', message: iss.message });
    }
  }
  return out;
}
