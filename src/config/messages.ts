import type * as z from 'zod';
import { didYouMean } from './suggest.js';

/**
 * Wording of zod's built-in issues for people editing YAML: "expected a
 * string, got a list", not "Invalid input: expected string, received array".
 * Passed per parse, so it changes nothing for other uses of zod.
 */

/** How a YAML value reads in a message: `"5x"`, `5`, `null`, `a list`, `a mapping`. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'an empty value';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  return String(v);
}

const EXPECTED: Record<string, string> = {
  string: 'a string', number: 'a number', int: 'a whole number', boolean: 'true or false',
  array: 'a list', object: 'a mapping', record: 'a mapping', null: 'an empty value',
};

export const policyErrorMap: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return 'required';
      return `expected ${EXPECTED[iss.expected] ?? iss.expected}, got ${describeValue(iss.input)}`;
    case 'invalid_value': {
      const allowed = iss.values.map((v) => String(v));
      const hint = typeof iss.input === 'string' ? didYouMean(iss.input, allowed) : '';
      return `${describeValue(iss.input)} is not one of ${allowed.join(', ')}${hint}`;
    }
    case 'too_small':
      if (iss.origin === 'array') return `must have at least ${iss.minimum} item${iss.minimum === 1 ? '' : 's'}`;
      if (iss.origin === 'string') return iss.minimum === 1 ? 'must not be empty' : `must be at least ${iss.minimum} characters`;
      return `must be ${iss.inclusive ? 'at least' : 'greater than'} ${iss.minimum}, got ${describeValue(iss.input)}`;
    case 'too_big':
      if (iss.origin === 'array') return `must have at most ${iss.maximum} items`;
      return `must be ${iss.inclusive ? 'at most' : 'less than'} ${iss.maximum}, got ${describeValue(iss.input)}`;
    case 'invalid_union': {
      if (iss.input === undefined) return 'required';
      const expected = iss.errors.flatMap((b) => (b.length === 1 && b[0]!.code === 'invalid_type' ? [b[0]!.expected] : []));
      if (expected.length === iss.errors.length && expected.length > 0) {
        return `expected ${[...new Set(expected.map((e) => EXPECTED[e] ?? e))].join(' or ')}, got ${describeValue(iss.input)}`;
      }
      return `${describeValue(iss.input)} is not an accepted value here`;
    }
    case 'not_multiple_of':
      return `must be a multiple of ${iss.divisor}`;
    default:
      return undefined;
  }
};
