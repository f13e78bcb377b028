import { expect, it } from 'vitest';
import { formatGoDuration, parseGoDuration } from './duration.js';

it('parses Go durations and rejects what Go rejects', () => {
  expect(parseGoDuration('5s')).toBe(5000);
  expect(parseGoDuration('100ms')).toBe(100);
  expect(parseGoDuration('10m')).toBe(600_000);
  expect(parseGoDuration('1h30m')).toBe(5_400_000);
  expect(parseGoDuration('1.5s')).toBe(1500);
  expect(parseGoDuration('0')).toBe(0);
  expect(parseGoDuration('-1s')).toBe(-1000);
  for (const bad of ['5', '', 's', '5x', '5s ', 'abc']) expect(parseGoDuration(bad)).toBeUndefined();
});

it('prints durations as Go does', () => {
  expect(formatGoDuration(0)).toBe('0s');
  expect(formatGoDuration(10)).toBe('10s');
  expect(formatGoDuration(90)).toBe('1m30s');
  expect(formatGoDuration(87600 * 3600)).toBe('87600h0m0s');
});
