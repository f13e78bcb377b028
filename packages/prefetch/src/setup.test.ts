import cachePlugin from '@dnsmesh/cache';
import { directiveOf, loadReadmeExamples, loadWith } from '@dnsmesh/testkit';
import { describe, expect, it } from 'vitest';
import prefetchPlugin, { prefetch } from './index.js';
import { DEFAULTS } from './options.js';
import { parse } from './setup.js';

const directive = directiveOf;
const load = (text: string) => loadWith(text, [cachePlugin, prefetchPlugin], ['serve_stale', 'prefetch', 'cache', 'forward']);

describe('prefetch setup', () => {
  const good: [string, object][] = [
    ['prefetch 2', { amount: 2, duration: DEFAULTS.duration, percentage: DEFAULTS.percentage }],
    ['prefetch 1 30s', { amount: 1, duration: 30_000, percentage: 10 }],
    ['prefetch 10 1m 25%', { amount: 10, duration: 60_000, percentage: 25 }],
    ['prefetch 3 5m 90%', { amount: 3, duration: 300_000, percentage: 90 }],
    ['prefetch 2 20%', { amount: 2, duration: 60_000, percentage: 20 }],
    ['prefetch 2 90', { amount: 2, duration: 90_000, percentage: 10 }], // a bare number is seconds
  ];
  it.each(good)('%s', (text, expected) => {
    expect(parse(directive(text))).toEqual(expected);
  });

  const bad: [string, string][] = [
    ['prefetch', 'Corefile:2 - prefetch: takes 1 to 3 arguments, got 0'],
    ['prefetch 1 1m 10% 4', 'Corefile:2 - prefetch: takes 1 to 3 arguments, got 4'],
    ['prefetch 0', "Corefile:2 - prefetch: expected an integer of at least 1, got '0'"],
    ['prefetch many', "Corefile:2 - prefetch: expected an integer of at least 1, got 'many'"],
    ['prefetch 2 soon', "Corefile:2 - prefetch: expected a duration of at least 1s (like 500ms, 30s, 5m, 1h), got 'soon'"],
    ['prefetch 2 500ms', "Corefile:2 - prefetch: expected a duration of at least 1s, got '500ms'"],
    ['prefetch 2 1m 10', "Corefile:2 - prefetch: expected a percentage between 10% and 90% (like 10%), got '10'"],
    ['prefetch 2 1m 5%', "Corefile:2 - prefetch: expected a percentage between 10% and 90% (like 10%), got '5%'"],
    ['prefetch 2 1m 95%', "Corefile:2 - prefetch: expected a percentage between 10% and 90% (like 10%), got '95%'"],
    ['prefetch 2 10% 1m', "Corefile:2 - prefetch: expected a duration of at least 1s (like 500ms, 30s, 5m, 1h), got '10%'"],
    ['prefetch 2 {\n amount 3\n}', "Corefile:3 - prefetch: unknown property 'amount' (prefetch takes no block)"],
  ];
  it.each(bad)('%s fails with FILE:LINE', (text, message) => {
    expect(() => parse(directive(text))).toThrow(message);
  });

  it('takes the CoreDNS form inside cache, and gives the same options as the directive', async () => {
    const [inside] = await load('.:53 {\n    cache {\n        prefetch 3 2m 20%\n    }\n}\n');
    const [alone] = await load('.:53 {\n    cache\n    prefetch 3 2m 20%\n}\n');
    for (const block of [inside!, alone!]) {
      expect(block.plugins.map((p) => p.name)).toEqual(['prefetch', 'cache']);
      expect(block.plugins[0]).toMatchObject({ options: { amount: 3, duration: 120_000, percentage: 20 } });
    }
  });

  // Inside cache, the line belongs to the cache directive, and the message says so (as CoreDNS's would).
  it('names the line of a bad prefetch inside cache', async () => {
    await expect(load('.:53 {\n    cache {\n        success 100\n        prefetch 2 1m 100%\n    }\n}\n'))
      .rejects.toThrow("Corefile:4 - cache: expected a percentage between 10% and 90% (like 10%), got '100%'");
  });

  it('refuses prefetch both inside cache and on its own', async () => {
    await expect(load('.:53 {\n    prefetch 2\n    cache {\n        prefetch 3\n    }\n}\n'))
      .rejects.toThrow('Corefile:4 - cache: prefetch is configured twice (inside cache and on its own)');
  });

  it('needs the cache in the same server block', async () => {
    await expect(load('.:53 {\n    prefetch 2\n    forward . 127.0.0.1\n}\n'))
      .rejects.toThrow('Corefile:2 - prefetch: needs the cache plugin in this server block');
  });

  it('checks code options with the Corefile limits, naming the option', () => {
    expect(() => prefetch({ amount: 0 })).toThrow(TypeError);
    expect(() => prefetch({ amount: 0 })).toThrow('prefetch: amount must be an integer of at least 1, got 0');
    expect(() => prefetch({ amount: 2, percentage: 5 })).toThrow('prefetch: percentage must be between 10 and 90, got 5');
    expect(() => prefetch({ amount: 2, duration: 10 })).toThrow('prefetch: duration must be at least 1000 ms, got 10');
    expect(typeof prefetch({ amount: 2 })).toBe('function');
  });

  it("loads every example of the README", async () => {
    const examples = await loadReadmeExamples(new URL('../README.md', import.meta.url), load);
    expect(examples.length).toBeGreaterThan(0);
    for (const plugins of examples) expect(plugins).toContain('prefetch');
  });
});
