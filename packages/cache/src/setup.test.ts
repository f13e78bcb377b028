import { directiveOf, testBlock } from '@dnsmesh/testkit';
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from './options.js';
import { parse } from './setup.js';

const directive = directiveOf;
const blockFor = testBlock;

describe('cache setup', () => {
  const good: [string, object][] = [
    ['cache', { zones: ['.'], success: DEFAULTS.success, denial: DEFAULTS.denial, servfail: 5000, keepttl: false }],
    ['cache 30', { success: { ...DEFAULTS.success, maxTtl: 30 }, denial: { ...DEFAULTS.denial, maxTtl: 30 } }],
    ['cache 30 example.org Consul.', { zones: ['example.org.', 'consul.'] }],
    ['cache {\n success 100000 3600 0\n denial 10000 1800 5\n servfail 10s\n keepttl\n}', {
      success: { capacity: 100000, maxTtl: 3600, minTtl: 0 }, denial: { capacity: 10000, maxTtl: 1800, minTtl: 5 }, servfail: 10000, keepttl: true }],
    ['cache {\n success 500\n}', { success: { capacity: 500, maxTtl: 3600, minTtl: 5 } }],
    ['cache {\n disable denial example.org\n}', { disable: { success: [], denial: ['example.org.'] } }],
    ['cache {\n max_bytes 64M\n}', { maxBytes: 64 * 1024 * 1024 }],
    ['cache {\n servfail 0\n}', { servfail: 0 }],
  ];
  it.each(good)('%s', (text, expected) => {
    expect(parse(directive(text), blockFor())).toMatchObject(expected);
  });

  const bad: [string, string][] = [
    ['cache 0', 'Corefile:2 - cache: expected an integer between 1 and 604800, got \'0\''],
    ['cache {\n success\n}', 'Corefile:3 - cache: success takes 1 to 3 arguments, got 0'],
    ['cache {\n success x\n}', "Corefile:3 - cache: expected an integer of at least 1, got 'x'"],
    ['cache {\n servfail 10m\n}', 'Corefile:3 - cache: '],
    ['cache {\n bogus 1\n}', "Corefile:3 - cache: unknown property 'bogus'"],
    ['cache {\n disable everything\n}', "Corefile:3 - cache: disable takes success or denial, got 'everything'"],
    ['cache {\n max_bytes lots\n}', "Corefile:3 - cache: expected a size such as 64M, got 'lots'"],
  ];
  it.each(bad)('%s fails with FILE:LINE', (text, message) => {
    expect(() => parse(directive(text), blockFor())).toThrow(message);
  });

  it('hands prefetch and serve_stale inside cache to their plugins', () => {
    const block = blockFor();
    const handed: string[] = [];
    block.handOff = (name) => { handed.push(name); };
    parse(directive('cache {\n prefetch 2 1m 10%\n serve_stale 1h\n}'), block);
    expect(handed).toEqual(['prefetch', 'serve_stale']);
  });
});
