import { describe, it, expect } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  const good: [string, number][] = [
    ['0', 0],
    ['30', 30_000], // a bare number is seconds
    ['1.5', 1500],
    ['500ms', 500],
    ['30s', 30_000],
    ['1.5s', 1500],
    ['1.1s', 1100], // rounded to whole ms, no 1100.0000000000002
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['1m30s', 90_000],
    ['2h5m10s250ms', 7_510_250],
    ['0s', 0],
    ['.5s', 500],
  ];
  it.each(good)('%s = %i ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  const bad = ['', 's', '-5s', '5 s', '5sec', '1d', '5M', 'abc', '1h30', '5m-', '1e3s'];
  it.each(bad)('%j is not a duration', (text) => expect(parseDuration(text)).toBeUndefined());
});

describe('formatDuration', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [500, '500ms'],
    [1500, '1.5s'],
    [30_000, '30s'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [5_400_000, '1h30m'],
    [61_500, '1m1.5s'],
  ];
  it.each(cases)('%i ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});
