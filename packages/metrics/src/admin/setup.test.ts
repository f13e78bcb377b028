import { describe, expect, it } from 'vitest';
import { directive } from '../../test/corefile.js';
import { parse, resolveOptions } from './setup.js';

describe('admin setup', () => {
  const good: [string, object][] = [
    ['admin 127.0.0.1:8053', { address: { host: '127.0.0.1', port: 8053 } }],
    ['admin 127.0.0.1', { address: { host: '127.0.0.1', port: 8053 } }],
    ['admin :9000', { address: { host: '', port: 9000 } }],
  ];
  it.each(good)('%s', (text, expected) => {
    expect(parse(directive(text))).toEqual(expected);
  });

  const bad: [string, string][] = [
    ['admin', 'Corefile:2 - admin: takes exactly 1 argument, got 0'],
    ['admin a:1 b:2', 'Corefile:2 - admin: takes exactly 1 argument, got 2'],
    ['admin 127.0.0.1:x', "Corefile:2 - admin: expected HOST[:PORT] (like 127.0.0.1:53 or [::1]:53), got '127.0.0.1:x'"],
    ['admin 127.0.0.1:8053 {\n  token x\n}', "Corefile:3 - admin: unknown property 'token'"],
  ];
  it.each(bad)('%s fails with FILE:LINE', (text, message) => {
    expect(() => parse(directive(text))).toThrow(message);
  });

  it('needs an address from code too', () => {
    expect(() => resolveOptions({} as never)).toThrow("admin: address is required (like '127.0.0.1:8053')");
  });
});
