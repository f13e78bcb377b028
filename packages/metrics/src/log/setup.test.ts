import { describe, expect, it } from 'vitest';
import { directive } from '../../test/corefile.js';
import { parse, resolveOptions } from './setup.js';

const ALL = new Set(['success', 'denial', 'error']);

describe('log setup', () => {
  const good: [string, object][] = [
    ['log', { names: ['.'], classes: ALL }],
    ['log example.org', { names: ['example.org.'] }],
    ['log example.org Service.Consul', { names: ['example.org.', 'service.consul.'] }],
    ['log . {common}', { names: ['.'] }],
    ['log json', { names: ['.'] }],
    ['log example.org "{remote} {name}"', { names: ['example.org.'] }],
    ['log {\n  class denial error\n}', { classes: new Set(['denial', 'error']) }],
    ['log {\n  class success\n  class denial\n}', { classes: new Set(['success', 'denial']) }],
    ['log {\n  class all\n}', { classes: ALL }],
  ];
  it.each(good)('%s', (text, expected) => {
    expect(parse(directive(text))).toMatchObject(expected);
  });

  const bad: [string, string][] = [
    ['log {\n  class\n}', 'Corefile:3 - log: class takes at least 1 argument, got 0'],
    ['log {\n  class failures\n}', "Corefile:3 - log: class takes all, denial, error or success, got 'failures'"],
    ['log {\n  format json\n}', "Corefile:3 - log: unknown property 'format'"],
    ['log bad..name', 'Corefile:2 - log: '],
  ];
  it.each(bad)('%s fails with FILE:LINE', (text, message) => {
    expect(() => parse(directive(text))).toThrow(message);
  });

  it('takes the same options from code', () => {
    expect(resolveOptions({ names: ['Consul'], classes: ['denial'] })).toMatchObject({ names: ['consul.'], classes: new Set(['denial']) });
    expect(() => resolveOptions({ classes: ['oops' as never] })).toThrow("log: classes takes all, denial, error or success, got 'oops'");
  });
});
