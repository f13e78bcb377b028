import { describe, expect, it } from 'vitest';
import { optionChecks } from './option-checks.js';

describe('optionChecks', () => {
  const zone = (text: string): string => {
    if (text.includes(' ')) throw Object.assign(new Error('bad'), { detail: `'${text}' is not a domain name` });
    return text.endsWith('.') ? text.toLowerCase() : `${text.toLowerCase()}.`;
  };
  const c = optionChecks('forward', zone);

  it('passes values within the limits (milliseconds rounded, zones made canonical)', () => {
    expect(c.intIn('maxFails', 3, { min: 0, max: 10 })).toBe(3);
    expect(c.msIn('expire', 1500.4, { min: 0, max: 3000 })).toBe(1500);
    expect(c.zoneOf('from', 'Example.COM')).toBe('example.com.');
  });

  it('throws a TypeError that names the plugin, the option and what was wrong', () => {
    expect(() => c.intIn('maxFails', 2.5, { min: 0, max: 10 })).toThrow(new TypeError('forward: maxFails: expected an integer from 0 to 10, got 2.5'));
    expect(() => c.msIn('expire', -1, { min: 0, max: 3000 })).toThrow(new TypeError('forward: expire: expected milliseconds from 0 to 3000, got -1'));
    expect(() => c.msIn('expire', Number.NaN, { min: 0, max: 3000 })).toThrow(TypeError);
    expect(() => c.zoneOf('except[0]', 42)).toThrow(new TypeError('forward: except[0]: expected a zone name, got 42'));
    expect(() => c.zoneOf('from', 'a b')).toThrow(new TypeError("forward: from: 'a b' is not a domain name"));
    expect(() => c.bad('to', 'needs at least one upstream')).toThrow(new TypeError('forward: to: needs at least one upstream'));
  });
});
