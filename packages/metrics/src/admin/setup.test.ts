import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCorefile } from '@dnsmesh/core';
import { describe, expect, it } from 'vitest';
import { directive } from '../../test/corefile.js';
import { parse, resolveOptions } from './setup.js';

const TOKEN = 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==';

describe('admin setup', () => {
  const good: [string, object][] = [
    ['admin 127.0.0.1:8053', { address: { host: '127.0.0.1', port: 8053 }, token: undefined }],
    ['admin 127.0.0.1', { address: { host: '127.0.0.1', port: 8053 }, token: undefined }],
    ['admin :9000', { address: { host: '127.0.0.1', port: 9000 }, token: undefined }],
    ['admin [::1]:9000', { address: { host: '::1', port: 9000 }, token: undefined }],
    ['admin 0.0.0.0:9000 {\n  token ' + TOKEN + '\n}', { address: { host: '0.0.0.0', port: 9000 }, token: TOKEN }],
  ];
  it.each(good)('%s', (text, expected) => {
    expect(parse(directive(text))).toEqual(expected);
  });

  const bad: [string, string][] = [
    ['admin', 'Corefile:2 - admin: takes exactly 1 argument, got 0'],
    ['admin a:1 b:2', 'Corefile:2 - admin: takes exactly 1 argument, got 2'],
    ['admin 127.0.0.1:x', "Corefile:2 - admin: expected HOST[:PORT] (like 127.0.0.1:53 or [::1]:53), got '127.0.0.1:x'"],
    ['admin 127.0.0.1:8053 {\n  password x\n}', "Corefile:3 - admin: unknown property 'password'"],
    ['admin 127.0.0.1:8053 {\n  token short\n}', 'Corefile:3 - admin: token must be at least 16 characters, got 5'],
    ['admin 127.0.0.1:8053 {\n  token "with space 0123456789"\n}', 'Corefile:3 - admin: token may hold only letters, digits and - . _ ~ + / (then = padding)'],
    ['admin 127.0.0.1:8053 {\n  token\n}', 'Corefile:3 - admin: token takes exactly 1 argument, got 0'],
    ['admin 127.0.0.1:8053 {\n  token ' + TOKEN + '\n  token_file t\n}', 'Corefile:4 - admin: the token is set twice (token or token_file, once)'],
    ['admin 127.0.0.1:8053 {\n  token_file /nonexistent/dnsmesh-token\n}', "Corefile:3 - admin: cannot read token_file '/nonexistent/dnsmesh-token': ENOENT"],
  ];
  it.each(bad)('%s fails with FILE:LINE', (text, message) => {
    expect(() => parse(directive(text))).toThrow(message);
  });

  it('needs an address from code too, and checks the token', () => {
    expect(() => resolveOptions({} as never)).toThrow("admin: address is required (like '127.0.0.1:8053')");
    expect(() => resolveOptions({ address: ':0', token: 'short' })).toThrow('admin: token must be at least 16 characters');
    expect(resolveOptions({ address: ':0', token: TOKEN })).toEqual({ address: { host: '127.0.0.1', port: 0 }, token: TOKEN });
  });

  it('reads token_file relative to the Corefile, trimmed; an empty file is an error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dnsmesh-admin-'));
    writeFileSync(join(dir, 'admin.token'), `${TOKEN}\n`);
    writeFileSync(join(dir, 'empty.token'), '\n');
    const at = (file: string) => parseCorefile(`.:53 {\n  admin :8053 {\n    token_file ${file}\n  }\n}\n`, join(dir, 'Corefile'))[0]!.directives[0]!;
    expect(parse(at('admin.token')).token).toBe(TOKEN);
    expect(() => parse(at('empty.token'))).toThrow(`${join(dir, 'Corefile')}:3 - admin: token_file 'empty.token' must be at least 16 characters, got 0`);
  });

  it('takes the token from the environment through {$ENV}; an unset variable is an error, not an open endpoint', () => {
    process.env.DNSMESH_TEST_ADMIN_TOKEN = TOKEN;
    try {
      expect(parse(directive('admin :8053 {\n  token {$DNSMESH_TEST_ADMIN_TOKEN}\n}')).token).toBe(TOKEN);
    } finally {
      delete process.env.DNSMESH_TEST_ADMIN_TOKEN;
    }
    expect(() => parse(directive('admin :8053 {\n  token {$DNSMESH_TEST_ADMIN_TOKEN}\n}'))).toThrow('Corefile:3 - admin: token must be at least 16 characters, got 0');
  });
});
