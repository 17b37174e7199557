import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, parseLimit, parsePercent, parseSize } from '../../src/config/units.js';

describe('parseDuration', () => {
  it.each<[string | number, number]>([
    ['250ms', 250], ['5s', 5_000], ['1m', 60_000], ['1h', 3_600_000], ['1d', 86_400_000],
    ['0', 0], [0, 0], ['0s', 0], [' 10s ', 10_000],
  ])('%j → %d ms', (input, ms) => expect(parseDuration(input)).toBe(ms));

  it.each<[string | number, string]>([
    ['1.5s', 'bad duration "1.5s": expected a whole number with a unit ms, s, m, h or d (e.g. "250ms", "5s", "1m"), or 0'],
    ['5', 'bad duration "5": expected a whole number with a unit ms, s, m, h or d (e.g. "250ms", "5s", "1m"), or 0'],
    [5, 'duration 5 has no unit: expected a whole number with a unit ms, s, m, h or d (e.g. "250ms", "5s", "1m"), or 0'],
    ['5S', 'bad duration "5S": unknown unit "S"; expected a whole number with a unit ms, s, m, h or d (e.g. "250ms", "5s", "1m"), or 0'],
    ['1m30s', 'bad duration "1m30s": expected a whole number with a unit ms, s, m, h or d (e.g. "250ms", "5s", "1m"), or 0'],
    ['-1s', 'bad duration "-1s": expected a whole number with a unit ms, s, m, h or d (e.g. "250ms", "5s", "1m"), or 0'],
    ['5 s', 'bad duration "5 s": expected a whole number with a unit ms, s, m, h or d (e.g. "250ms", "5s", "1m"), or 0'],
  ])('%j is refused', (input, message) => expect(() => parseDuration(input)).toThrow(message));
});

describe('parseSize', () => {
  it.each<[string | number, number]>([
    ['512b', 512], ['512kb', 524_288], ['10mb', 10_485_760], ['1gb', 1_073_741_824],
    ['10MB', 10_485_760], ['1Kb', 1024], ['0', 0], [0, 0],
  ])('%j → %d bytes', (input, bytes) => expect(parseSize(input)).toBe(bytes));

  it.each<[string | number, string]>([
    ['10mib', 'bad size "10mib": unknown unit "mib"; expected a whole number with a unit b, kb, mb or gb (e.g. "512kb", "10mb"), or 0'],
    ['1.5mb', 'bad size "1.5mb": expected a whole number with a unit b, kb, mb or gb (e.g. "512kb", "10mb"), or 0'],
    [1024, 'size 1024 has no unit: expected a whole number with a unit b, kb, mb or gb (e.g. "512kb", "10mb"), or 0'],
  ])('%j is refused', (input, message) => expect(() => parseSize(input)).toThrow(message));
});

describe('parseLimit', () => {
  it.each<[string, number, number]>([
    ['60/1m', 60, 60_000], ['20/1s', 20, 1_000], ['1000/1h', 1000, 3_600_000], ['5/250ms', 5, 250],
  ])('%s → %d per %d ms', (text, count, window) => expect(parseLimit(text)).toEqual({ count, window, text }));

  it.each<[string, string]>([
    ['60/min', 'bad limit "60/min": expected COUNT/DURATION (e.g. "60/1m", "20/1s", "1000/1h")'],
    ['60', 'bad limit "60": expected COUNT/DURATION (e.g. "60/1m", "20/1s", "1000/1h")'],
    ['60/1x', 'bad limit "60/1x": unknown window unit; expected COUNT/DURATION (e.g. "60/1m", "20/1s", "1000/1h")'],
    ['0/1m', 'bad limit "0/1m": the count must be at least 1'],
    ['5/0s', 'bad limit "5/0s": the window must be longer than 0'],
    ['x/1m', 'bad limit "x/1m": expected COUNT/DURATION (e.g. "60/1m", "20/1s", "1000/1h")'],
  ])('%s is refused', (input, message) => expect(() => parseLimit(input)).toThrow(message));
});

describe('parsePercent', () => {
  it.each<[string | number, number]>([
    ['50%', 0.5], ['0%', 0], ['100%', 1], ['12.5%', 0.125], [0.2, 0.2], [0, 0], [1, 1],
  ])('%j → %d', (input, fraction) => expect(parsePercent(input)).toBe(fraction));

  it.each<[string | number, string]>([
    ['150%', 'bad percentage "150%": at most 100%'],
    ['50', 'bad percentage "50": expected a percentage (e.g. "50%") or a number from 0 to 1'],
    [50, 'bad percentage 50: expected a percentage (e.g. "50%") or a number from 0 to 1 (did you mean "50%"?)'],
    [-0.1, 'bad percentage -0.1: expected a percentage (e.g. "50%") or a number from 0 to 1'],
  ])('%j is refused', (input, message) => expect(() => parsePercent(input)).toThrow(message));
});

describe('formatDuration', () => {
  it.each<[number, string]>([
    [0, '0'], [250, '250ms'], [1500, '1500ms'], [5_000, '5s'], [90_000, '90s'], [60_000, '1m'],
    [3_600_000, '1h'], [86_400_000, '1d'], [172_800_000, '2d'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});
