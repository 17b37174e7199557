import { describe, it, expect } from 'vitest';
import { normalizeTarget } from '../../src/routing/normalize.js';

describe('request target normalisation', () => {
  it.each([
    ['/api/v1/assessments', '/api/v1/assessments', ''],
    ['/api/v1/assessments?b=2&a=1', '/api/v1/assessments', '?b=2&a=1'],
    ['/api/v1//assessments', '/api/v1/assessments', ''],
    ['/api/v1/assessments/', '/api/v1/assessments', ''],
    ['/api/v1/./assessments', '/api/v1/assessments', ''],
    ['/api/v1/x/../assessments', '/api/v1/assessments', ''],
    ['/api/v1/%2e%2e/v1/assessments', '/api/v1/assessments', ''],
    ['/api/v1/%2E/assessments', '/api/v1/assessments', ''],
    ['/api/v1/assessments?', '/api/v1/assessments', ''],
    ['/api/v1/assessments#frag', '/api/v1/assessments', ''],
    ['/api/v1/assessments?x=1#frag', '/api/v1/assessments', '?x=1'],
    ['/api/v1/%61ssessments', '/api/v1/assessments', ''],
    ['/files/a%20b', '/files/a%20b', ''],
    ['/files/a%2bb', '/files/a%2Bb', ''],
    ['/', '/', ''],
    ['//', '/', ''],
  ])('%s → %s %s', (raw, path, query) => {
    expect(normalizeTarget(raw)).toEqual({ path, query });
  });

  it.each([
    ['/..'],
    ['/api/../../etc/passwd'],
    ['/api/%2e%2e/%2e%2e/x'],
    ['/api/v1%2Fassessments'],
    ['/api/v1%2fassessments'],
    ['/api\\v1'],
    ['/api/%5Cv1'],
    ['/api/%00'],
    ['/api/%zz'],
    ['/api/%4'],
    ['*'],
    ['api/v1'],
  ])('%s is rejected', (raw) => {
    expect(normalizeTarget(raw)).toBeNull();
  });

  it('keeps case: routes are case-sensitive', () => {
    expect(normalizeTarget('/API/V1/Assessments')).toEqual({ path: '/API/V1/Assessments', query: '' });
  });
});
