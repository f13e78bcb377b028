import { readFileSync } from 'node:fs';
import { parseCorefile, type Directive } from '@dnsmesh/core';
import { describe, expect, it } from 'vitest';
import { forward } from './index.js';
import { DEFAULTS, type ForwardOptions } from './options.js';
import { parse } from './setup.js';

/** The forward directives of a Corefile text. */
function forwards(text: string, file = 'Corefile'): Directive[] {
  return parseCorefile(text, file).flatMap((b) => b.directives).filter((d) => d.name.text === 'forward');
}

/** A server block whose line 2 is `line` (so errors read Corefile:2, or :3 for the first property). */
const snippet = (line: string): string => `.:1053 {\n    ${line}\n}\n`;

const base: Omit<ForwardOptions, 'to'> = {
  from: '.', except: [], forceTcp: false, preferUdp: false, maxFails: 2, expire: 10_000,
  healthCheck: 500, healthCheckDomain: '.', policy: 'random', maxConcurrent: 1000, trustAd: false, ednsBufferSize: 1232, maxUdpSockets: 1024,
};

describe('forward setup', () => {
  const good: [string, Partial<ForwardOptions>][] = [
    ['forward . 127.0.0.1', { to: [{ host: '127.0.0.1', port: 53 }] }],
    ['forward consul. dns://127.0.0.1:8600 [::1]:5300 10.0.0.1:53 ::1',
      { from: 'consul.', to: [{ host: '127.0.0.1', port: 8600 }, { host: '::1', port: 5300 }, { host: '10.0.0.1', port: 53 }, { host: '::1', port: 53 }] }],
    ['forward Service.CONSUL 127.0.0.1:8600', { from: 'service.consul.', to: [{ host: '127.0.0.1', port: 8600 }] }],
    ['forward 10.0.0.0/8 127.0.0.1', { from: '10.in-addr.arpa.', to: [{ host: '127.0.0.1', port: 53 }] }],
    [`forward . 127.0.0.1 127.0.0.2 {
        except internal.example. Corp.example
        except lab.example
        force_tcp
        max_fails 3
        expire 30s
        health_check 1s no_rec domain health.example
        policy round_robin
        max_concurrent 1000
    }`, {
      to: [{ host: '127.0.0.1', port: 53 }, { host: '127.0.0.2', port: 53 }],
      except: ['internal.example.', 'corp.example.', 'lab.example.'], forceTcp: true, maxFails: 3, expire: 30_000,
      healthCheck: 1000, healthCheckDomain: 'health.example.', policy: 'round_robin', maxConcurrent: 1000,
    }],
    ['forward . 127.0.0.1 {\n max_concurrent 0\n max_udp_sockets 64\n}', { to: [{ host: '127.0.0.1', port: 53 }], maxConcurrent: 0, maxUdpSockets: 64 }],
    ['forward . 127.0.0.1 {\n prefer_udp\n policy sequential\n max_fails 0\n expire 0\n health_check 250ms\n}',
      { to: [{ host: '127.0.0.1', port: 53 }], preferUdp: true, policy: 'sequential', maxFails: 0, expire: 0, healthCheck: 250 }],
    ['forward . tls://127.0.0.1 tls://[::1]:8853 127.0.0.2 {\n tls_servername dns.test\n tls\n}',
      { to: [{ host: '127.0.0.1', port: 853, tls: { servername: 'dns.test' } }, { host: '::1', port: 8853, tls: { servername: 'dns.test' } }, { host: '127.0.0.2', port: 53 }] }],
    ['forward . 127.0.0.1 {\n trust_ad\n edns_buffer_size 4096\n}', { to: [{ host: '127.0.0.1', port: 53 }], trustAd: true, ednsBufferSize: 4096 }],
  ];
  it.each(good)('%s', (line, want) => {
    const [d] = forwards(snippet(line));
    expect(parse(d!)).toEqual({ ...base, ...want });
  });

  const sixteen = Array.from({ length: 16 }, (_, i) => `127.0.0.${i + 1}`).join(' ');
  const bad: [string, string | RegExp][] = [
    ['forward .', "Corefile:2 - forward: takes at least 2 arguments, got 1"],
    ['forward . /etc/resolv.conf', "Corefile:2 - forward: '/etc/resolv.conf' looks like a file: reading upstreams from a resolv.conf file is not supported; give IP addresses"],
    ['forward . resolv.conf', "Corefile:2 - forward: 'resolv.conf' is not an IP address: upstreams must be IP literals (names are not resolved)"],
    ['forward . dns.example.com:53', "Corefile:2 - forward: 'dns.example.com' is not an IP address: upstreams must be IP literals (names are not resolved)"],
    ['forward . quic://1.1.1.1', "Corefile:2 - forward: 'quic' is not supported as a destination protocol (dns:// or tls://): quic://1.1.1.1"],
    ['forward . 127.0.0.1 {\n tls_servername dns.test\n}', 'Corefile:2 - forward: tls and tls_servername need a tls:// upstream (TO)'],
    ['forward . tls://127.0.0.1 {\n tls nowhere.pem\n}', /Corefile:3 - forward: cannot read .*nowhere\.pem: ENOENT/],
    ['forward . 127.0.0.1:0', "Corefile:2 - forward: port '0' of '127.0.0.1:0' is not between 1 and 65535"],
    ['forward . 127.0.0.1:http', "Corefile:2 - forward: port 'http' of '127.0.0.1:http' is not between 1 and 65535"],
    ['forward . [127.0.0.1]:53', "Corefile:2 - forward: '127.0.0.1' in brackets is not an IPv6 address"],
    ['forward a..b 127.0.0.1', "Corefile:2 - forward: zone 'a..b' has an empty label"],
    [`forward . ${sixteen}`, 'Corefile:2 - forward: more than 15 upstreams (TO) configured: 16'],
    ['forward . 127.0.0.1 {\n policy fastest\n}', "Corefile:3 - forward: unknown policy 'fastest' (random, round_robin or sequential)"],
    ['forward . 127.0.0.1 {\n policy\n}', 'Corefile:3 - forward: policy takes exactly 1 argument, got 0'],
    ['forward . 127.0.0.1 {\n max_fails -1\n}', "Corefile:3 - forward: expected an integer between 0 and 10000, got '-1'"],
    ['forward . 127.0.0.1 {\n max_fails two\n}', "Corefile:3 - forward: expected an integer between 0 and 10000, got 'two'"],
    ['forward . 127.0.0.1 {\n max_concurrent lots\n}', "Corefile:3 - forward: expected an integer between 0 and 1000000, got 'lots'"],
    ['forward . 127.0.0.1 {\n max_udp_sockets 0\n}', "Corefile:3 - forward: expected an integer between 1 and 65535, got '0'"],
    ['forward . 127.0.0.1 {\n max_udp_sockets\n}', 'Corefile:3 - forward: max_udp_sockets takes exactly 1 argument, got 0'],
    ['forward . 127.0.0.1 {\n expire 2h\n}', "Corefile:3 - forward: expected a duration between 0s and 1h, got '2h'"],
    ['forward . 127.0.0.1 {\n health_check 5ms\n}', "Corefile:3 - forward: expected a duration between 10ms and 1h, got '5ms'"],
    ['forward . 127.0.0.1 {\n health_check 1s fast\n}', "Corefile:3 - forward: health_check: unknown option 'fast' (no_rec or domain NAME)"],
    ['forward . 127.0.0.1 {\n health_check 1s domain\n}', 'Corefile:3 - forward: health_check: domain needs a name'],
    ['forward . 127.0.0.1 {\n force_tcp yes\n}', 'Corefile:3 - forward: force_tcp takes no arguments, got 1'],
    ['forward . 127.0.0.1 {\n except\n}', 'Corefile:3 - forward: except takes at least 1 argument, got 0'],
    ['forward . 127.0.0.1 {\n policy random\n policy sequential\n}', 'Corefile:4 - forward: policy is set twice'],
    ['forward . 127.0.0.1 {\n bogus\n}', "Corefile:3 - forward: unknown property 'bogus'"],
    ['forward . 127.0.0.1 {\n trust_ad yes\n}', 'Corefile:3 - forward: trust_ad takes no arguments, got 1'],
    ['forward . 127.0.0.1 {\n edns_buffer_size 100\n}', "Corefile:3 - forward: expected an integer between 512 and 4096, got '100'"],
    ['forward . 127.0.0.1 {\n edns_buffer_size\n}', 'Corefile:3 - forward: edns_buffer_size takes exactly 1 argument, got 0'],
  ];
  it.each(bad)('%s', (line, message) => {
    const [d] = forwards(snippet(line));
    expect(() => parse(d!)).toThrow(message);
    try { parse(d!); } catch (err) { if (typeof message === 'string') expect((err as Error).message).toBe(message); }
  });

  it('parses every example of the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const blocks = [...readme.matchAll(/```corefile\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThan(2);
    for (const text of blocks) {
      const ds = forwards(text, 'README.md');
      expect(ds.length).toBeGreaterThan(0);
      for (const d of ds) expect(() => parse(d)).not.toThrow();
    }
  });
});

describe('forward() in code', () => {
  it('takes the Corefile options with their defaults', () => {
    expect(typeof forward({ to: ['127.0.0.1:5300'] })).toBe('function');
    expect(DEFAULTS.maxFails).toBe(2);
    expect(DEFAULTS.maxConcurrent).toBe(1000);                  // on by default (CoreDNS's suggested value)
    expect(DEFAULTS.maxUdpSockets).toBe(1024);
  });

  const bad: [Parameters<typeof forward>[0], string][] = [
    [{ to: [] }, 'forward: to: needs at least one upstream'],
    [{ to: ['/etc/resolv.conf'] }, "forward: to[0]: '/etc/resolv.conf' looks like a file"],
    [{ to: ['127.0.0.1', 'localhost:53'] }, "forward: to[1]: 'localhost' is not an IP address"],
    [{ to: [{ host: '127.0.0.1', port: 0 }] }, 'forward: to[0].port: expected an integer from 1 to 65535, got 0'],
    [{ to: Array.from({ length: 16 }, () => '127.0.0.1') }, 'forward: to: more than 15 upstreams: 16'],
    [{ to: ['127.0.0.1'], from: 'a..b' }, "forward: from: zone 'a..b' has an empty label"],
    [{ to: ['127.0.0.1'], maxFails: -1 }, 'forward: maxFails: expected an integer from 0 to 10000, got -1'],
    [{ to: ['127.0.0.1'], healthCheck: 1 }, 'forward: healthCheck: expected milliseconds from 10 to 3600000, got 1'],
    [{ to: ['127.0.0.1'], policy: 'fastest' as never }, "forward: policy: unknown policy 'fastest'"],
    [{ to: ['127.0.0.1'], ednsBufferSize: 65535 }, 'forward: ednsBufferSize: expected an integer from 512 to 4096, got 65535'],
    [{ to: ['127.0.0.1'], maxUdpSockets: 0 }, 'forward: maxUdpSockets: expected an integer from 1 to 65535, got 0'],
  ];
  it.each(bad)('refuses %j', (input, message) => {
    expect(() => forward(input)).toThrow(TypeError);
    expect(() => forward(input)).toThrow(message);
  });
});
