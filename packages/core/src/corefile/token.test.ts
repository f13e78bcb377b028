import { describe, it, expect } from 'vitest';
import { CorefileError } from './errors.js';
import { Token, type Range } from './token.js';

function tok(text: string): Token {
  const t = new Token(text, 'Corefile', 7);
  t.directive = 'cache';
  return t;
}

/** The message a call throws, or 'ok'. */
function err(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    expect(e).toBeInstanceOf(CorefileError);
    return (e as Error).message;
  }
}

describe('Token.fail', () => {
  it('names file, line and directive', () => {
    const e = tok('x').fail('bad');
    expect(e).toMatchObject({ file: 'Corefile', line: 7, directive: 'cache', message: 'Corefile:7 - cache: bad' });
  });
  it('says "Error during parsing" without a directive', () => {
    expect(new Token('x', 'a/b', 1).fail('bad').message).toBe('a/b:1 - Error during parsing: bad');
  });
});

describe('Token.int', () => {
  const cases: [string, Range | undefined, number | string][] = [
    ['30', undefined, 30],
    ['-3', undefined, -3],
    ['0', { min: 0 }, 0],
    ['3600', { min: 1, max: 3600 }, 3600],
    ['x', { min: 1, max: 3600 }, "Corefile:7 - cache: expected an integer between 1 and 3600, got 'x'"],
    ['3601', { min: 1, max: 3600 }, "Corefile:7 - cache: expected an integer between 1 and 3600, got '3601'"],
    ['0', { min: 1 }, "Corefile:7 - cache: expected an integer of at least 1, got '0'"],
    ['11', { max: 10 }, "Corefile:7 - cache: expected an integer of at most 10, got '11'"],
    ['1.5', undefined, "Corefile:7 - cache: expected an integer, got '1.5'"],
    ['', undefined, "Corefile:7 - cache: expected an integer, got ''"],
    ['99999999999999999999', undefined, "Corefile:7 - cache: expected an integer, got '99999999999999999999'"],
  ];
  it.each(cases)('%j %j', (text, range, want) => {
    if (typeof want === 'number') expect(tok(text).int(range)).toBe(want);
    else expect(err(() => tok(text).int(range))).toBe(want);
  });
  it('isInt', () => {
    expect(['1', '-1', '0'].map((t) => tok(t).isInt())).toEqual([true, true, true]);
    expect(['1s', '', '1.0', '+1'].map((t) => tok(t).isInt())).toEqual([false, false, false, false]);
  });
});

describe('Token.duration', () => {
  const cases: [string, Range | undefined, number | string][] = [
    ['500ms', undefined, 500],
    ['30', undefined, 30_000],
    ['1h30m', { max: 7_200_000 }, 5_400_000],
    ['0', undefined, 0],
    ['0s', { min: 1 }, "Corefile:7 - cache: expected a duration of at least 1ms, got '0s'"],
    ['2h', { min: 1000, max: 3_600_000 }, "Corefile:7 - cache: expected a duration between 1s and 1h, got '2h'"],
    ['10m', { max: 300_000 }, "Corefile:7 - cache: expected a duration of at most 5m, got '10m'"],
    ['soon', undefined, "Corefile:7 - cache: expected a duration (like 500ms, 30s, 5m, 1h), got 'soon'"],
  ];
  it.each(cases)('%j %j', (text, range, want) => {
    if (typeof want === 'number') expect(tok(text).duration(range)).toBe(want);
    else expect(err(() => tok(text).duration(range))).toBe(want);
  });
});

describe('Token.percent', () => {
  const cases: [string, Range | undefined, number | string][] = [
    ['10%', undefined, 10],
    ['0%', undefined, 0],
    ['12.5%', undefined, 12.5],
    ['100%', undefined, 100],
    ['10', undefined, "Corefile:7 - cache: expected a percentage between 0% and 100% (like 10%), got '10'"],
    ['101%', undefined, "Corefile:7 - cache: expected a percentage between 0% and 100% (like 10%), got '101%'"],
    ['0%', { min: 1 }, "Corefile:7 - cache: expected a percentage between 1% and 100% (like 10%), got '0%'"],
  ];
  it.each(cases)('%j %j', (text, range, want) => {
    if (typeof want === 'number') expect(tok(text).percent(range)).toBe(want);
    else expect(err(() => tok(text).percent(range))).toBe(want);
  });
});

describe('Token.zone', () => {
  const good: [string, string][] = [
    ['.', '.'],
    ['example.org', 'example.org.'],
    ['Example.ORG.', 'example.org.'],
    ['_tcp.service.consul', '_tcp.service.consul.'],
    ['10.0.0.0/24', '0.0.10.in-addr.arpa.'],
    ['10.1.2.3/16', '1.10.in-addr.arpa.'],
    ['192.168.0.0/32', '0.0.168.192.in-addr.arpa.'],
    ['0.0.0.0/0', 'in-addr.arpa.'],
    ['fd00::/8', 'd.f.ip6.arpa.'],
    ['2001:db8::/32', '8.b.d.0.1.0.0.2.ip6.arpa.'],
    ['::ffff:10.0.0.0/112', `${'0.0.a.0.'}${'f.f.f.f.'}${'0.'.repeat(20)}ip6.arpa.`],
  ];
  it.each(good)('%s -> %s', (text, zone) => expect(tok(text).zone()).toBe(zone));

  const bad: [string, string][] = [
    ['a..b', "zone 'a..b' has an empty label"],
    ['a b', "zone 'a b' has an invalid character ' '"],
    ['example.org:53', "zone 'example.org:53' has an invalid character ':'"],
    [`${'a'.repeat(64)}.org`, `zone '${'a'.repeat(64)}.org' has a label longer than 63 characters`],
    [Array(64).fill('abc').join('.'), `zone '${Array(64).fill('abc').join('.')}' is longer than 253 characters`],
    ['10.0.0.0/20', "CIDR '10.0.0.0/20': the prefix length must be a multiple of 8 (classless reverse zones are not supported)"],
    ['fd00::/7', "CIDR 'fd00::/7': the prefix length must be a multiple of 4 for IPv6"],
    ['10.0.0.0/33', "bad prefix length in '10.0.0.0/33'"],
    ['10.0.0/24', "'10.0.0/24' is not a valid CIDR"],
  ];
  it.each(bad)('%s fails', (text, message) => expect(err(() => tok(text).zone())).toBe(`Corefile:7 - cache: ${message}`));
});

describe('Token.hostPort', () => {
  const good: [string, { host: string; port: number }][] = [
    ['127.0.0.1:53', { host: '127.0.0.1', port: 53 }],
    ['[::1]:53', { host: '::1', port: 53 }],
    ['[::1]', { host: '::1', port: 9153 }],
    ['::1', { host: '::1', port: 9153 }],
    ['127.0.0.1', { host: '127.0.0.1', port: 9153 }],
    ['localhost:9153', { host: 'localhost', port: 9153 }],
    [':9153', { host: '', port: 9153 }],
    [':0', { host: '', port: 0 }],
  ];
  it.each(good)('%s', (text, want) => expect(tok(text).hostPort(9153)).toEqual(want));

  const bad = ['', ':', '127.0.0.1:', '127.0.0.1:65536', 'host:port', '[::1', '[::1]x', '[nothost]:53', 'a b:53', 'a:b:c'];
  it.each(bad)('%j fails', (text) => {
    expect(err(() => tok(text).hostPort(53))).toBe(`Corefile:7 - cache: expected HOST[:PORT] (like 127.0.0.1:53 or [::1]:53), got '${text}'`);
  });
});
