import { readFileSync } from 'node:fs';
import { parseCorefile, type Directive } from '@dnsmesh/core';
import { describe, expect, it } from 'vitest';
import { consul } from './index.js';
import { DEFAULTS, type ConsulOptions } from './options.js';
import { parse } from './setup.js';

/** The consul directives of a Corefile text. */
function consuls(text: string, file = 'Corefile', env: Record<string, string> = {}): Directive[] {
  return parseCorefile(text, file, { env }).flatMap((b) => b.directives).filter((d) => d.name.text === 'consul');
}

/** A server block whose line 2 is `line` (errors read Corefile:2, or :3 for the first property). */
const snippet = (line: string): string => `consul.:1053 {\n    ${line}\n}\n`;

const http = { mode: 'http', url: { href: 'http://127.0.0.1:8500', host: '127.0.0.1', port: 8500 } } as const;
const base: ConsulOptions = {
  zones: ['consul.'], source: http, token: undefined, datacenter: undefined, ttl: 5, onlyPassing: true,
  maxStale: 3_600_000, idle: 600_000, wait: 300_000, firstWait: 2000, backoffMin: 1000, backoffMax: 30_000, rateInterval: 500,
};

describe('consul setup', () => {
  const good: [string, Partial<ConsulOptions>][] = [
    ['consul {\n http http://127.0.0.1:8500\n}', {}],
    ['consul {\n dns 127.0.0.1\n}', { source: { mode: 'dns', address: { host: '127.0.0.1', port: 8600 } } }],
    ['consul {\n dns tls://127.0.0.1\n tls_servername consul.test\n}', { source: { mode: 'dns', address: { host: '127.0.0.1', port: 853, tls: { servername: 'consul.test' } } } }],
    ['consul {\n dns [::1]:5300\n}', { source: { mode: 'dns', address: { host: '::1', port: 5300 } } }],
    ['consul Consul. Service.Example {\n http http://localhost:8500\n}',
      { zones: ['consul.', 'service.example.'], source: { mode: 'http', url: { href: 'http://localhost:8500', host: 'localhost', port: 8500 } } }],
    ['consul {\n http http://[::1]:8500/\n}', { source: { mode: 'http', url: { href: 'http://[::1]:8500', host: '::1', port: 8500 } } }],
    [`consul {
        http http://127.0.0.1:8500
        token s3cr3t
        datacenter DC2
        ttl 30
        only_passing false
        max_stale 5m
        idle 30m
    }`, { token: 's3cr3t', datacenter: 'dc2', ttl: 30, onlyPassing: false, maxStale: 300_000, idle: 1_800_000 }],
    ['consul {\n http http://127.0.0.1:8500\n ttl 0\n only_passing\n max_stale 0\n}', { ttl: 0, onlyPassing: true, maxStale: 0 }],
    ['consul {\n http http://127.0.0.1:8500\n token {$CONSUL_HTTP_TOKEN}\n}', { token: 'from-env' }],
    ['consul {\n http http://127.0.0.1:8500\n token {$UNSET_TOKEN}\n}', { token: undefined }],
  ];
  it.each(good)('%s', (line, want) => {
    const [d] = consuls(snippet(line), 'Corefile', { CONSUL_HTTP_TOKEN: 'from-env' });
    expect(parse(d!)).toEqual({ ...base, ...want });
  });

  const bad: [string, string][] = [
    ['consul', 'Corefile:2 - consul: needs dns ADDR (DNS mode) or http URL (catalog mode) in its block'],
    ['consul {\n token x\n}', 'Corefile:2 - consul: needs dns ADDR (DNS mode) or http URL (catalog mode) in its block'],
    ['consul {\n http http://127.0.0.1:8500\n dns 127.0.0.1\n}', 'Corefile:4 - consul: give either dns or http, not both (http is at line 3)'],
    ['consul {\n http https://127.0.0.1:8500\n}', "Corefile:3 - consul: only http: URLs are supported, got 'https:' in 'https://127.0.0.1:8500'"],
    ['consul {\n http http://consul.internal:8500\n}', "Corefile:3 - consul: 'consul.internal' is not an IP address or localhost: the agent address must not need a lookup"],
    ['consul {\n http http://127.0.0.1:8500/v1\n}', "Corefile:3 - consul: the URL must not have a path (the plugin adds /v1/...): 'http://127.0.0.1:8500/v1'"],
    ['consul {\n http http://u:p@127.0.0.1:8500\n}', "Corefile:3 - consul: the URL must not carry a user or password: 'http://u:p@127.0.0.1:8500'"],
    ['consul {\n http 127.0.0.1:8500\n}', "Corefile:3 - consul: expected an http:// URL like http://127.0.0.1:8500, got '127.0.0.1:8500'"],
    ['consul {\n http\n}', 'Corefile:3 - consul: http takes exactly 1 argument, got 0'],
    ['consul {\n dns agent.local:8600\n}', "Corefile:3 - consul: 'agent.local' is not an IP address: the agent's DNS address must be an IP literal"],
    ['consul {\n dns 127.0.0.1:0\n}', "Corefile:3 - consul: port '0' of '127.0.0.1:0' is not between 1 and 65535"],
    ['consul {\n dns 127.0.0.1\n tls_servername consul.test\n}', "Corefile:4 - consul: tls_servername needs dns tls://ADDR (DNS over TLS to the agent's DNS)"],
    ['consul {\n dns 127.0.0.1\n token x\n}', 'Corefile:4 - consul: token applies only to catalog mode (http), not to dns'],
    ['consul {\n dns 127.0.0.1\n ttl 5\n}', 'Corefile:4 - consul: ttl applies only to catalog mode (http), not to dns'],
    ['consul {\n http http://127.0.0.1:8500\n ttl 1500ms\n}', "Corefile:4 - consul: ttl must be whole seconds, got '1500ms'"],
    ['consul {\n http http://127.0.0.1:8500\n ttl 2d\n}', "Corefile:4 - consul: expected a duration between 0s and 24h (like 500ms, 30s, 5m, 1h), got '2d'"],
    ['consul {\n http http://127.0.0.1:8500\n ttl 25h\n}', "Corefile:4 - consul: expected a duration between 0s and 24h, got '25h'"],
    ['consul {\n http http://127.0.0.1:8500\n idle 10ms\n}', "Corefile:4 - consul: expected a duration between 1s and 168h, got '10ms'"],
    ['consul {\n http http://127.0.0.1:8500\n max_stale forever\n}', "Corefile:4 - consul: expected a duration between 0s and 168h (like 500ms, 30s, 5m, 1h), got 'forever'"],
    ['consul {\n http http://127.0.0.1:8500\n only_passing maybe\n}', "Corefile:4 - consul: only_passing takes true or false, got 'maybe'"],
    ['consul {\n http http://127.0.0.1:8500\n datacenter dc.1\n}', "Corefile:4 - consul: datacenter 'dc.1' is not a DNS label"],
    ['consul {\n http http://127.0.0.1:8500\n token "a b"\n}', 'Corefile:4 - consul: token must be printable ASCII without spaces'],
    ['consul {\n http http://127.0.0.1:8500\n token a b\n}', 'Corefile:4 - consul: token takes exactly 1 argument, got 2'],
    ['consul {\n http http://127.0.0.1:8500\n ttl 5\n ttl 6\n}', 'Corefile:5 - consul: ttl is set twice'],
    ['consul {\n http http://127.0.0.1:8500\n recursors 1.1.1.1\n}', "Corefile:4 - consul: unknown property 'recursors'"],
    ['consul a..b {\n http http://127.0.0.1:8500\n}', "Corefile:2 - consul: zone 'a..b' has an empty label"],
  ];
  it.each(bad)('%s', (line, message) => {
    const [d] = consuls(snippet(line));
    let caught: unknown;
    try { parse(d!); } catch (err) { caught = err; }
    expect((caught as Error | undefined)?.message).toBe(message);
  });

  it('parses every example of the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const blocks = [...readme.matchAll(/```corefile\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const text of blocks) {
      const ds = consuls(text, 'README.md');
      expect(ds.length).toBeGreaterThan(0);
      for (const d of ds) expect(() => parse(d)).not.toThrow();
    }
  });
});

describe('consul() in code', () => {
  it('takes the Corefile options with their defaults', () => {
    expect(typeof consul({ http: 'http://127.0.0.1:8500' })).toBe('function');
    expect(typeof consul({ dns: { host: '::1', port: 8600 } })).toBe('function');
    expect(DEFAULTS.ttl).toBe(5);
    expect(DEFAULTS.onlyPassing).toBe(true);
  });

  const bad: [Parameters<typeof consul>[0], string][] = [
    [{}, 'consul: dns/http: give exactly one of dns (DNS mode) and http (catalog mode)'],
    [{ http: 'http://127.0.0.1:8500', dns: '127.0.0.1' }, 'consul: dns/http: give exactly one'],
    [{ http: 'ftp://127.0.0.1' }, "consul: http: only http: URLs are supported, got 'ftp:'"],
    [{ dns: 'localhost:8600' }, "consul: dns: 'localhost' is not an IP address"],
    [{ dns: '127.0.0.1', ttl: 5 }, 'consul: ttl: applies only to catalog mode (http)'],
    [{ http: 'http://127.0.0.1:8500', ttl: 1.5 }, 'consul: ttl: expected whole seconds from 0 to 86400, got 1.5'],
    [{ http: 'http://127.0.0.1:8500', idle: 10 }, 'consul: idle: expected milliseconds from 1000 to 604800000, got 10'],
    [{ http: 'http://127.0.0.1:8500', zones: ['a..b'] }, "consul: zones[0]: zone 'a..b' has an empty label"],
    [{ http: 'http://127.0.0.1:8500', datacenter: 'dc 1' }, "consul: datacenter: 'dc 1' is not a DNS label"],
    [{ http: 'http://127.0.0.1:8500', backoffMin: 5000, backoffMax: 1000 }, 'consul: backoffMax: must be at least backoffMin (5000)'],
  ];
  it.each(bad)('refuses %j', (input, message) => {
    expect(() => consul(input)).toThrow(TypeError);
    expect(() => consul(input)).toThrow(message);
  });
});
