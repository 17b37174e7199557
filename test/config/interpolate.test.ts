import { describe, expect, it } from 'vitest';
import { interpolate } from '../../src/config/interpolate.js';

const env = { HOST: 'redis', EMPTY: '', TOKEN: 's3cret' };

describe('interpolate', () => {
  it.each<[string, string]>([
    ['url: redis://${HOST}:6379', 'url: redis://redis:6379'],
    ['a: ${HOST}-${TOKEN}', 'a: redis-s3cret'],
    ['a: ${MISSING:-fallback}', 'a: fallback'],
    ['a: ${EMPTY:-fallback}', 'a: fallback'],
    ['a: ${HOST:-fallback}', 'a: redis'],
    ['a: ${MISSING:-}', 'a: '],
    ['a: "${EMPTY}"', 'a: ""'],
    ['a: ${MISSING:-http://x:1/y}', 'a: http://x:1/y'],
    ['a: $${HOST}', 'a: ${HOST}'],
    ['a: pa$$word', 'a: pa$$word'],
    ['a: $HOST and $ alone', 'a: $HOST and $ alone'],
    ['a: 1 # ${MISSING} in a comment', 'a: 1 # ${MISSING} in a comment'],
    ['# url: redis://:${REDIS_PASSWORD}@redis', '# url: redis://:${REDIS_PASSWORD}@redis'],
    ['a: "x # ${HOST}"', 'a: "x # redis"'],
    ["a: 'it''s # ${HOST}'", "a: 'it''s # redis'"],
    ['a: b#${HOST}', 'a: b#redis'],
    ['a: ${HOST}\nb: ${TOKEN}\n', 'a: redis\nb: s3cret\n'],
  ])('%j → %j', (source, text) => {
    const r = interpolate(source, env);
    expect(r.errors).toEqual([]);
    expect(r.text).toBe(text);
  });

  it.each<[string, { offset: number; message: string }[]]>([
    ['a: ${MISSING}', [{ offset: 3, message: 'environment variable MISSING is not set (write ${MISSING:-} to allow it unset)' }]],
    ['a: 1\nb: ${X} ${Y}', [
      { offset: 8, message: 'environment variable X is not set (write ${X:-} to allow it unset)' },
      { offset: 13, message: 'environment variable Y is not set (write ${Y:-} to allow it unset)' },
    ]],
    ['a: ${HOST', [{ offset: 3, message: 'unterminated "${": write ${NAME}, ${NAME:-default}, or $${ for a literal "${"' }]],
    ['a: ${1X}', [{ offset: 3, message: 'bad variable reference "${1X}": expected ${NAME} or ${NAME:-default}' }]],
    ['a: ${HOST:default}', [{ offset: 3, message: 'bad variable reference "${HOST:default}": expected ${NAME} or ${NAME:-default}' }]],
  ])('%j is an error at its offset', (source, errors) => {
    expect(interpolate(source, env).errors).toEqual(errors);
  });

  it('maps offsets of the substituted text back to the original', () => {
    const source = 'a: ${TOKEN} b: ${EMPTY:-} c\nd: $${ e';
    const r = interpolate(source, env);
    expect(r.text).toBe('a: s3cret b:  c\nd: ${ e');
    const back = (needle: string) => r.originalOffset(r.text.indexOf(needle));
    expect(back('b:')).toBe(source.indexOf('b:'));
    expect(back(' c')).toBe(source.indexOf(' c'));
    expect(back('d:')).toBe(source.indexOf('d:'));
    expect(back(' e')).toBe(source.indexOf(' e'));
    expect(back('cret')).toBe(source.indexOf('${TOKEN}')); // inside a value: its reference
  });
});
