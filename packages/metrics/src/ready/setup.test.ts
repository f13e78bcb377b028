import { describe, expect, it } from 'vitest';
import { directive } from '../../test/corefile.js';
import { parse } from './setup.js';

describe('ready setup', () => {
  const good: [string, object][] = [
    ['ready', { address: { host: 'localhost', port: 8181 } }],
    ['ready :8182', { address: { host: '', port: 8182 } }],
    ['ready 127.0.0.1', { address: { host: '127.0.0.1', port: 8181 } }],
  ];
  it.each(good)('%s', (text, expected) => {
    expect(parse(directive(text))).toEqual(expected);
  });

  const bad: [string, string][] = [
    ['ready a:1 b:2', 'Corefile:2 - ready: takes at most 1 argument, got 2'],
    ['ready :http', "Corefile:2 - ready: expected HOST[:PORT] (like 127.0.0.1:53 or [::1]:53), got ':http'"],
    ['ready {\n  monitor\n}', "Corefile:3 - ready: unknown property 'monitor'"],
  ];
  it.each(bad)('%s fails with FILE:LINE', (text, message) => {
    expect(() => parse(directive(text))).toThrow(message);
  });
});
