import { describe, it, expect } from 'vitest';
import { compilePattern } from '../../src/routing/pattern.js';

describe('path patterns', () => {
  it.each([
    ['/api/v1/assessments', '/api/v1/assessments', true],
    ['/api/v1/assessments', '/api/v1/assessments/1', false],
    ['/api/v1/assessments', '/api/v1/assessmentsX', false],
    ['/api/v1/assessments/*', '/api/v1/assessments/42', true],
    ['/api/v1/assessments/*', '/api/v1/assessments', false],
    ['/api/v1/assessments/*', '/api/v1/assessments/42/x', false],
    ['/api/*/assessments', '/api/v2/assessments', true],
    ['/api/*/assessments', '/api/v2/x/assessments', false],
    ['/docs/**', '/docs', true],
    ['/docs/**', '/docs/a/b/c', true],
    ['/docs/**', '/docsX', false],
    ['/docs/**', '/doc', false],
    ['/**', '/', true],
    ['/**', '/anything/at/all', true],
    ['/api/*/files/**', '/api/v1/files', true],
    ['/api/*/files/**', '/api/v1/files/a/b', true],
    ['/api/*/files/**', '/api/v1/filesX', false],
    ['/a.b/*', '/a.b/c', true],
    ['/a.b/*', '/aXb/c', false],
  ])('%s vs %s → %s', (pattern, path, expected) => {
    expect(compilePattern(pattern)(path)).toBe(expected);
  });
});
