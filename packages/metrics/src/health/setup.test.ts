import { describe, expect, it } from 'vitest';
import { directive } from '../../test/corefile.js';
import { parse, resolveOptions } from './setup.js';

describe('health setup', () => {
  const good: [string, object][] = [
    ['health', { address: { host: 'localhost', port: 8080 }, lameduck: 0 }],
    ['health :8091', { address: { host: '', port: 8091 }, lameduck: 0 }],
    ['health 127.0.0.1:8091 {\n  lameduck 5s\n}', { address: { host: '127.0.0.1', port: 8091 }, lameduck: 5000 }],
    ['health {\n  lameduck 500ms\n}', { address: { host: 'localhost', port: 8080 }, lameduck: 500 }],
  ];
  it.each(good)('%s', (text, expected) => {
    expect(parse(directive(text))).toEqual(expected);
  });

  const bad: [string, string][] = [
    ['health a:1 b:2', 'Corefile:2 - health: takes at most 1 argument, got 2'],
    ['health not/an/address', "Corefile:2 - health: expected HOST[:PORT] (like 127.0.0.1:53 or [::1]:53), got 'not/an/address'"],
    ['health {\n  lameduck\n}', 'Corefile:3 - health: lameduck takes exactly 1 argument, got 0'],
    ['health {\n  lameduck soon\n}', "Corefile:3 - health: expected a duration between 0s and 1m (like 500ms, 30s, 5m, 1h), got 'soon'"],
    ['health {\n  lameduck 2m\n}', "Corefile:3 - health: expected a duration between 0s and 1m, got '2m'"],
    ['health {\n  self_check\n}', "Corefile:3 - health: unknown property 'self_check'"],
  ];
  it.each(bad)('%s fails with FILE:LINE', (text, message) => {
    expect(() => parse(directive(text))).toThrow(message);
  });

  it('checks code options the same way', () => {
    expect(resolveOptions({ address: '127.0.0.1:0', lameduck: 50 })).toEqual({ address: { host: '127.0.0.1', port: 0 }, lameduck: 50 });
    expect(() => resolveOptions({ lameduck: -1 })).toThrow('health: lameduck must be between 0 and 60000 ms, got -1');
  });
});
