// Field checks shared by the routes; each failure names the field.

import { invalid } from '../http.js';

/** `body[name]` as a string of `min`..`max` characters; `prefix` locates nested fields in the message. */
export function requireString(
  body: Record<string, unknown>,
  name: string,
  max: number,
  prefix = '',
  min = 1,
): string {
  const value = body[name];
  if (typeof value !== 'string' || value.length < min || value.length > max) {
    const field = prefix + name;
    const size = min > 0 ? `${min} to ${max}` : `at most ${max}`;
    throw invalid(field, `${field} must be a string of ${size} characters`);
  }
  return value;
}

/** Like requireString, but absent or null gives null. */
export function optionalString(body: Record<string, unknown>, name: string, max: number): string | null {
  return body[name] === undefined || body[name] === null ? null : requireString(body, name, max);
}
