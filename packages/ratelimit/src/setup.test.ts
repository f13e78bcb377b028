import { formatCidr } from '@dnsmesh/acl';
import { directiveOf, loadReadmeExamples, loadWith } from '@dnsmesh/testkit';
import { describe, expect, it } from 'vitest';
import ratelimitDefinition, { DEFAULTS, ratelimit } from './index.js';
import { parse } from './setup.js';

const ORDER = ['prometheus', 'log', 'errors', 'ratelimit', 'acl', 'any', 'cache', 'forward'];
const load = (text: string) => loadWith(text, [ratelimitDefinition], ORDER);
const parsed = (text: string) => {
  const o = parse(directiveOf(text));
  return { ...o, exempt: o.exempt.map(formatCidr) };
};

describe('ratelimit setup', () => {
  const good: [string, object][] = [
    ['ratelimit', { ...DEFAULTS }],
    ['ratelimit 50', { ...DEFAULTS, rate: 50, burst: 50 }],
    ['ratelimit 50 {\n burst 200\n}', { ...DEFAULTS, rate: 50, burst: 200 }],
    ['ratelimit {\n rate 20\n slip 0\n ipv4_prefix 32\n ipv6_prefix 64\n max_table 1000\n}',
      { ...DEFAULTS, rate: 20, burst: 20, slip: 0, ipv4Prefix: 32, ipv6Prefix: 64, maxTable: 1000 }],
    ['ratelimit {\n slip 1\n exempt 10.0.0.0/8 fd00::/8 192.0.2.1\n}',
      { ...DEFAULTS, slip: 1, exempt: ['10.0.0.0/8', 'fd00:0:0:0:0:0:0:0/8', '192.0.2.1/32'] }],
  ];
  it.each(good)('%s', (text, expected) => {
    expect(parsed(text)).toEqual(expected);
  });

  const bad: [string, string][] = [
    ['ratelimit 0', "Corefile:2 - ratelimit: expected an integer between 1 and 1000000, got '0'"],
    ['ratelimit fast', "Corefile:2 - ratelimit: expected an integer between 1 and 1000000, got 'fast'"],
    ['ratelimit 1 2', 'Corefile:2 - ratelimit: takes at most 1 argument, got 2'],
    ['ratelimit 10 {\n rate 20\n}', 'Corefile:3 - ratelimit: rate is set twice'],
    ['ratelimit {\n slip 20\n}', "Corefile:3 - ratelimit: expected an integer between 0 and 10, got '20'"],
    ['ratelimit {\n burst 0\n}', "Corefile:3 - ratelimit: expected an integer between 1 and 10000000, got '0'"],
    ['ratelimit {\n ipv4_prefix 33\n}', "Corefile:3 - ratelimit: expected an integer between 8 and 32, got '33'"],
    ['ratelimit {\n ipv6_prefix 8\n}', "Corefile:3 - ratelimit: expected an integer between 16 and 128, got '8'"],
    ['ratelimit {\n max_table 10\n}', "Corefile:3 - ratelimit: expected an integer between 100 and 10000000, got '10'"],
    ['ratelimit {\n slip\n}', 'Corefile:3 - ratelimit: slip takes exactly 1 argument, got 0'],
    ['ratelimit {\n exempt\n}', 'Corefile:3 - ratelimit: exempt takes at least 1 argument, got 0'],
    ['ratelimit {\n exempt 10.1.0.0/8\n}', "Corefile:3 - ratelimit: '10.1.0.0/8' has host bits set (the network is 10.0.0.0/8)"],
    ['ratelimit {\n exempt 10.0.0.0/8\n exempt ::1\n}', 'Corefile:4 - ratelimit: exempt is set twice (give every network on one line)'],
    ['ratelimit {\n window 15\n}', "Corefile:3 - ratelimit: unknown property 'window'"],
  ];
  it.each(bad)('%s fails with FILE:LINE', (text, message) => {
    expect(() => parse(directiveOf(text))).toThrow(message);
  });

  it('checks code options with the Corefile limits, naming the option', () => {
    expect(() => ratelimit({ rate: 0 })).toThrow('ratelimit: rate: expected an integer from 1 to 1000000, got 0');
    expect(() => ratelimit({ slip: 1.5 })).toThrow('ratelimit: slip: expected an integer from 0 to 10, got 1.5');
    expect(() => ratelimit({ ipv6Prefix: 200 })).toThrow('ratelimit: ipv6Prefix: expected an integer from 16 to 128, got 200');
    expect(() => ratelimit({ exempt: ['nope'] })).toThrow("ratelimit: exempt: 'nope' is not an IP address or CIDR network");
    expect(typeof ratelimit()).toBe('function');
  });

  it('loads every example of the README', async () => {
    const examples = await loadReadmeExamples(new URL('../README.md', import.meta.url), load);
    expect(examples.length).toBeGreaterThan(1);
    for (const plugins of examples) expect(plugins).toContain('ratelimit');
  });
});
