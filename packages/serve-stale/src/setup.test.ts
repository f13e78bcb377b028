import cachePlugin, { CacheStore } from '@dnsmesh/cache';
import { directiveOf, loadReadmeExamples, loadWith } from '@dnsmesh/testkit';
import { describe, expect, it } from 'vitest';
import serveStalePlugin, { serveStale } from './index.js';
import { DEFAULTS } from './options.js';
import { parse } from './setup.js';

const directive = directiveOf;
const load = (text: string) => loadWith(text, [cachePlugin, serveStalePlugin], ['serve_stale', 'prefetch', 'cache', 'forward']);

describe('serve_stale setup', () => {
  const good: [string, object][] = [
    ['serve_stale', DEFAULTS],
    ['serve_stale 2h', { ...DEFAULTS, maxStale: 7_200_000 }],
    ['serve_stale 1h immediate', { ...DEFAULTS, clientTimeout: 0 }],
    ['serve_stale immediate', { ...DEFAULTS, clientTimeout: 0 }],
    ['serve_stale verify', DEFAULTS],
    ['serve_stale 90 verify', { ...DEFAULTS, maxStale: 90_000 }],
    ['serve_stale 30m verify 500ms 10s 1m', { maxStale: 1_800_000, clientTimeout: 500, replyTtl: 10, failureRecheck: 60_000 }],
    ['serve_stale 1h immediate 5 10s', { ...DEFAULTS, clientTimeout: 0, replyTtl: 5, failureRecheck: 10_000 }],
    ['serve_stale {\n max_stale 24h\n client_timeout 500ms\n reply_ttl 10s\n failure_recheck 5s\n}',
      { maxStale: 86_400_000, clientTimeout: 500, replyTtl: 10, failureRecheck: 5000 }],
    ['serve_stale {\n client_timeout 0\n}', { ...DEFAULTS, clientTimeout: 0 }],
    ['serve_stale immediate {\n client_timeout 0\n}', { ...DEFAULTS, clientTimeout: 0 }],
    ['serve_stale verify {\n client_timeout 250ms\n failure_recheck 0\n}', { ...DEFAULTS, clientTimeout: 250, failureRecheck: 0 }],
    ['serve_stale {\n reply_ttl 1\n}', { ...DEFAULTS, replyTtl: 1 }],
  ];
  it.each(good)('%s', (text, expected) => {
    expect(parse(directive(text))).toEqual(expected);
  });

  const bad: [string, string][] = [
    ['serve_stale 0', "Corefile:2 - serve_stale: expected a duration between 1s and 168h, got '0'"],
    ['serve_stale 200h', "Corefile:2 - serve_stale: expected a duration between 1s and 168h, got '200h'"],
    ['serve_stale sometimes', "Corefile:2 - serve_stale: expected a duration, immediate or verify, got 'sometimes'"],
    ['serve_stale 1h later', "Corefile:2 - serve_stale: expected immediate or verify, got 'later'"],
    ['serve_stale 1h 2h', "Corefile:2 - serve_stale: expected immediate or verify, got '2h'"],
    ['serve_stale 1h immediate 30 30s 5s', "Corefile:2 - serve_stale: unexpected argument '5s' after immediate"],
    ['serve_stale 1h verify 1s 2 3 4', 'Corefile:2 - serve_stale: takes at most 5 arguments, got 6'],
    ['serve_stale 1h verify 11s', "Corefile:2 - serve_stale: expected a duration between 0s and 10s, got '11s'"],
    ['serve_stale 1h verify 0', 'Corefile:2 - serve_stale: client_timeout 0 contradicts verify (wait for the refresh first); use immediate instead'],
    ['serve_stale 1h immediate 0', "Corefile:2 - serve_stale: expected a duration between 1s and 1h, got '0'"],
    ['serve_stale 1h {\n max_stale 2h\n}', 'Corefile:3 - serve_stale: max_stale is set twice'],
    ['serve_stale {\n reply_ttl 10\n reply_ttl 20\n}', 'Corefile:4 - serve_stale: reply_ttl is set twice'],
    ['serve_stale {\n client_timeout\n}', 'Corefile:3 - serve_stale: client_timeout takes exactly 1 argument, got 0'],
    ['serve_stale {\n client_timeout 1s 2s\n}', 'Corefile:3 - serve_stale: client_timeout takes exactly 1 argument, got 2'],
    ['serve_stale {\n client_timeout 11s\n}', "Corefile:3 - serve_stale: expected a duration between 0s and 10s, got '11s'"],
    ['serve_stale {\n client_timeout soon\n}', "Corefile:3 - serve_stale: expected a duration between 0s and 10s (like 500ms, 30s, 5m, 1h), got 'soon'"],
    ['serve_stale {\n reply_ttl 0\n}', "Corefile:3 - serve_stale: expected a duration between 1s and 1h, got '0'"],
    ['serve_stale {\n reply_ttl 1500ms\n}', "Corefile:3 - serve_stale: reply_ttl must be whole seconds (a TTL), got '1500ms'"],
    ['serve_stale {\n failure_recheck 10m\n}', "Corefile:3 - serve_stale: expected a duration between 0s and 5m, got '10m'"],
    ['serve_stale {\n max_stale 0s\n}', "Corefile:3 - serve_stale: expected a duration between 1s and 168h, got '0s'"],
    ['serve_stale {\n bogus 1\n}', "Corefile:3 - serve_stale: unknown property 'bogus'"],
    ['serve_stale immediate {\n client_timeout 500ms\n}', 'Corefile:3 - serve_stale: client_timeout 500ms contradicts immediate (stale at once); drop one of them'],
    ['serve_stale verify {\n client_timeout 0\n}', 'Corefile:3 - serve_stale: client_timeout 0 contradicts verify (wait for the refresh first); use immediate instead'],
  ];
  it.each(bad)('%s fails with FILE:LINE', (text, message) => {
    expect(() => parse(directive(text))).toThrow(message);
  });

  it('takes the CoreDNS form inside cache, and keeps stale entries in the store for max_stale', async () => {
    const [block] = await load('.:53 {\n    cache {\n        serve_stale 2h\n    }\n}\n');
    expect(block!.plugins.map((p) => p.name)).toEqual(['serve_stale', 'cache']);
    expect(block!.plugins[0]).toMatchObject({ options: { ...DEFAULTS, maxStale: 7_200_000 } });
    expect(block!.get(CacheStore, 'test').keepStale).toBe(7_200_000);
  });

  it("takes CoreDNS's positional mode inside cache", async () => {
    const [block] = await load('.:53 {\n    cache 30 {\n        serve_stale 1h immediate\n    }\n}\n');
    expect(block!.plugins[0]).toMatchObject({ options: { maxStale: 3_600_000, clientTimeout: 0 } });
  });

  it('names the line of a bad serve_stale inside cache (the line belongs to cache)', async () => {
    await expect(load('.:53 {\n    cache {\n        serve_stale forever\n    }\n}\n'))
      .rejects.toThrow("Corefile:3 - cache: expected a duration, immediate or verify, got 'forever'");
  });

  it('refuses serve_stale both inside cache and on its own', async () => {
    await expect(load('.:53 {\n    serve_stale\n    cache {\n        serve_stale 1h\n    }\n}\n'))
      .rejects.toThrow('Corefile:4 - cache: serve_stale is configured twice (inside cache and on its own)');
  });

  it('needs the cache in the same server block', async () => {
    await expect(load('.:53 {\n    serve_stale {\n        max_stale 1h\n    }\n    forward . 127.0.0.1\n}\n'))
      .rejects.toThrow('Corefile:2 - serve_stale: needs the cache plugin in this server block');
  });

  it('checks code options with the Corefile limits, naming the option', () => {
    expect(() => serveStale({ maxStale: 0 })).toThrow(TypeError);
    expect(() => serveStale({ maxStale: 0 })).toThrow('serve_stale: maxStale must be between 1000 and 604800000 ms, got 0');
    expect(() => serveStale({ clientTimeout: -1 })).toThrow('serve_stale: clientTimeout must be between 0 and 10000 ms, got -1');
    expect(() => serveStale({ replyTtl: 0 })).toThrow('serve_stale: replyTtl must be between 1 and 3600 s, got 0');
    expect(() => serveStale({ replyTtl: 1.5 })).toThrow('serve_stale: replyTtl must be whole seconds, got 1.5');
    expect(() => serveStale({ failureRecheck: 600_000 })).toThrow('serve_stale: failureRecheck must be between 0 and 300000 ms, got 600000');
    expect(typeof serveStale()).toBe('function');
    expect(typeof serveStale({ clientTimeout: 0, maxStale: undefined })).toBe('function');
  });

  it('loads every example of the README', async () => {
    const examples = await loadReadmeExamples(new URL('../README.md', import.meta.url), load);
    expect(examples.length).toBeGreaterThan(0);
    for (const plugins of examples) expect(plugins).toContain('serve_stale');
  });
});
