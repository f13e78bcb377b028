import { describe, expect, it } from 'vitest';
import { directive } from '../../test/corefile.js';
import { parse, resolveOptions } from './setup.js';

describe('prometheus setup', () => {
  const good: [string, object][] = [
    ['prometheus', { address: { host: 'localhost', port: 9153 } }],
    ['prometheus 127.0.0.1:9253', { address: { host: '127.0.0.1', port: 9253 } }],
    ['prometheus :9153', { address: { host: '', port: 9153 } }],
    ['prometheus [::1]:9153', { address: { host: '::1', port: 9153 } }],
    ['prometheus 10.0.0.1', { address: { host: '10.0.0.1', port: 9153 } }],
  ];
  it.each(good)('%s', (text, expected) => {
    expect(parse(directive(text))).toEqual(expected);
  });

  const bad: [string, string][] = [
    ['prometheus a:1 b:2', 'Corefile:2 - prometheus: takes at most 1 argument, got 2'],
    ['prometheus 127.0.0.1:99999', "Corefile:2 - prometheus: expected HOST[:PORT] (like 127.0.0.1:53 or [::1]:53), got '127.0.0.1:99999'"],
    ['prometheus {\n  runtime_metrics\n}', "Corefile:3 - prometheus: unknown property 'runtime_metrics'"],
  ];
  it.each(bad)('%s fails with FILE:LINE', (text, message) => {
    expect(() => parse(directive(text))).toThrow(message);
  });

  it('takes the same addresses from code, with a TypeError naming the option', () => {
    expect(resolveOptions({ address: '127.0.0.1:0' })).toEqual({ address: { host: '127.0.0.1', port: 0 } });
    expect(resolveOptions()).toEqual({ address: { host: 'localhost', port: 9153 } });
    expect(() => resolveOptions({ address: 'no way' })).toThrow(new TypeError("prometheus: address must be HOST[:PORT] (like 127.0.0.1:9153 or [::1]:9153), got 'no way'"));
  });
});
