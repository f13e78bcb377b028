import { describe, expect, it } from 'vitest';
import { directive } from '../../test/corefile.js';
import { parse, resolveOptions } from './setup.js';

describe('errors setup', () => {
  const good: [string, object][] = [
    ['errors', { consolidate: [], stacktrace: false }],
    ['errors stdout', { consolidate: [], stacktrace: false }],
    ['errors {\n  stacktrace\n}', { stacktrace: true }],
    ['errors {\n  consolidate 5m ".* i/o timeout$"\n}', { consolidate: [{ duration: 300_000, pattern: /.* i\/o timeout$/, level: 'error', showFirst: false }] }],
    ['errors {\n  consolidate 30s ^Failed warning\n  consolidate 1m ^boom info show_first\n}', { consolidate: [
      { duration: 30_000, pattern: /^Failed/, level: 'warn', showFirst: false },
      { duration: 60_000, pattern: /^boom/, level: 'info', showFirst: true },
    ] }],
    ['errors {\n  consolidate 10s ^x show_first\n}', { consolidate: [{ duration: 10_000, pattern: /^x/, level: 'error', showFirst: true }] }],
  ];
  it.each(good)('%s', (text, expected) => {
    expect(parse(directive(text))).toMatchObject(expected);
  });

  const bad: [string, string][] = [
    ['errors /var/log/errors', "Corefile:2 - errors: errors are logged with the server's messages; the only argument CoreDNS takes is 'stdout', got '/var/log/errors'"],
    ['errors a b', 'Corefile:2 - errors: takes at most 1 argument, got 2'],
    ['errors {\n  consolidate 5m\n}', 'Corefile:3 - errors: consolidate takes 2 to 4 arguments, got 1'],
    ['errors {\n  consolidate soon ^x\n}', "Corefile:3 - errors: expected a duration of at least 1ms (like 500ms, 30s, 5m, 1h), got 'soon'"],
    ['errors {\n  consolidate 5m "(unclosed"\n}', "Corefile:3 - errors: invalid REGEXP '(unclosed': "],
    ['errors {\n  consolidate 5m ^x critical\n}', "Corefile:3 - errors: consolidate takes LEVEL (warning, error, info or debug) then show_first, got 'critical'"],
    ['errors {\n  consolidate 5m ^x show_first error\n}', "Corefile:3 - errors: consolidate takes LEVEL (warning, error, info or debug) then show_first, got 'show_first'"],
    ['errors {\n  stacktrace now\n}', 'Corefile:3 - errors: stacktrace takes no arguments, got 1'],
    ['errors {\n  log_to file\n}', "Corefile:3 - errors: unknown property 'log_to'"],
  ];
  it.each(bad)('%s fails with FILE:LINE', (text, message) => {
    expect(() => parse(directive(text))).toThrow(message);
  });

  it('takes the same options from code', () => {
    expect(resolveOptions({ consolidate: [{ duration: 100, pattern: '^boom', level: 'warning' }] }))
      .toMatchObject({ consolidate: [{ duration: 100, pattern: /^boom/, level: 'warn', showFirst: false }] });
    expect(() => resolveOptions({ consolidate: [{ duration: 0, pattern: 'x' }] })).toThrow('errors: consolidate[0].duration must be a positive number of ms, got 0');
  });
});
