import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTestCerts } from '@dnsmesh/consul-sim';
import { parseCorefile, type Directive } from '@dnsmesh/core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { consul } from './index.js';
import { DEFAULTS, type ConsulOptions } from './options.js';
import { parse } from './setup.js';

/** The consul directives of a Corefile text. */
function consuls(text: string, file = 'Corefile', env: Record<string, string> = {}): Directive[] {
  return parseCorefile(text, file, { env }).flatMap((b) => b.directives).filter((d) => d.name.text === 'consul');
}

/** A server block whose line 2 is `line` (errors read Corefile:2, or :3 for the first property). */
const snippet = (line: string): string => `consul.:1053 {\n    ${line}\n}\n`;

const http = { mode: 'http', url: { href: 'http://127.0.0.1:8500', host: '127.0.0.1', port: 8500, https: false } } as const;
const base: ConsulOptions = {
  zones: ['consul.'], source: http, token: undefined, tokenFile: undefined, tls: undefined, consistency: 'stale',
  maxConnections: 4, resync: 60_000, datacenter: undefined, namespace: 'default', partition: 'default', translateWanAddrs: false, catalogFeed: true, ttl: 5, serviceTtl: new Map(), nodeTtl: undefined, soaMinTtl: undefined, nodeMetaTxt: true, aRecordLimit: 0, onlyPassing: false,
  maxStale: 3_600_000, idle: 600_000, wait: 300_000, firstWait: 2000, backoffMin: 1000, backoffMax: 30_000, rateInterval: 500,
};

describe('consul setup', () => {
  const good: [string, Partial<ConsulOptions>][] = [
    ['consul {\n http http://127.0.0.1:8500\n}', {}],
    ['consul {\n dns 127.0.0.1\n}', { source: { mode: 'dns', address: { host: '127.0.0.1', port: 8600 } } }],
    ['consul {\n dns tls://127.0.0.1\n tls_servername consul.test\n}', { source: { mode: 'dns', address: { host: '127.0.0.1', port: 853, tls: { servername: 'consul.test' } } } }],
    ['consul {\n dns [::1]:5300\n}', { source: { mode: 'dns', address: { host: '::1', port: 5300 } } }],
    ['consul {\n http http://127.0.0.1:8500\n namespace Team\n partition eu\n translate_wan_addrs\n catalog_feed false\n}',
      { namespace: 'team', partition: 'eu', translateWanAddrs: true, catalogFeed: false }],
    ['consul Consul. Service.Example {\n http http://localhost:8500\n}',
      { zones: ['consul.', 'service.example.'], source: { mode: 'http', url: { href: 'http://localhost:8500', host: 'localhost', port: 8500, https: false } } }],
    ['consul {\n http http://[::1]:8500/\n}', { source: { mode: 'http', url: { href: 'http://[::1]:8500', host: '::1', port: 8500, https: false } } }],
    ['consul {\n http https://consul.internal\n consistency consistent\n max_connections 8\n resync 0\n first_wait 10s\n}',
      { source: { mode: 'http', url: { href: 'https://consul.internal', host: 'consul.internal', port: 443, https: true } },
        consistency: 'consistent', maxConnections: 8, resync: 0, firstWait: 10_000 }],
    ['consul {\n http https://127.0.0.1:8501\n insecure_skip_verify\n tls_servername server.dc1.consul\n consistency DEFAULT\n}',
      { source: { mode: 'http', url: { href: 'https://127.0.0.1:8501', host: '127.0.0.1', port: 8501, https: true } }, consistency: 'default',
        tls: { ca: undefined, cert: undefined, key: undefined, serverName: 'server.dc1.consul', insecureSkipVerify: true } }],
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
    ['consul {\n http http://127.0.0.1:8500\n service_ttl Web 30s\n service_ttl db-* 1m\n service_ttl * 10s\n node_ttl 1h\n}',
      { serviceTtl: new Map([['web', 30], ['db-*', 60], ['*', 10]]), nodeTtl: 3600 }],
    ['consul {\n http http://127.0.0.1:8500\n node_meta_txt false\n a_record_limit 3\n}', { nodeMetaTxt: false, aRecordLimit: 3 }],
    ['consul {\n http http://127.0.0.1:8500\n soa_min_ttl 30s\n}', { soaMinTtl: 30 }],
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
    ['consul {\n http ftp://127.0.0.1:8500\n}', "Corefile:3 - consul: only http: and https: URLs are supported, got 'ftp:' in 'ftp://127.0.0.1:8500'"],
    ['consul {\n http http://consul_internal:8500\n}', "Corefile:3 - consul: 'consul_internal' is not an IP address or a host name"],
    ['consul {\n http http://127.0.0.1:8500\n ca_file /etc/ca.pem\n}', 'Corefile:4 - consul: ca_file needs an https:// URL in http'],
    ['consul {\n http https://127.0.0.1:8501\n ca_file /nonexistent/ca.pem\n}', 'Corefile:4 - consul: cannot read /nonexistent/ca.pem: ENOENT'],
    ['consul {\n http https://127.0.0.1:8501\n ca_path /nonexistent\n}', 'Corefile:4 - consul: cannot read /nonexistent: ENOENT'],
    ['consul {\n http https://127.0.0.1:8501\n ca_file /etc/hostname\n}', 'Corefile:4 - consul: /etc/hostname holds no PEM certificate'],
    ['consul {\n http https://127.0.0.1:8501\n tls_servername bad_name\n}', "Corefile:4 - consul: tls_servername 'bad_name' is not a host name"],
    ['consul {\n http https://127.0.0.1:8501\n insecure_skip_verify sometimes\n}', "Corefile:4 - consul: insecure_skip_verify takes true or false, got 'sometimes'"],
    ['consul {\n http http://127.0.0.1:8500\n token_file /nonexistent/token\n}', 'Corefile:4 - consul: cannot read /nonexistent/token: ENOENT'],
    ['consul {\n http http://127.0.0.1:8500\n consistency eventual\n}', "Corefile:4 - consul: consistency takes stale, default, consistent, got 'eventual'"],
    ['consul {\n http http://127.0.0.1:8500\n max_connections 1\n}', "Corefile:4 - consul: expected an integer between 2 and 64, got '1'"],
    ['consul {\n http http://127.0.0.1:8500\n first_wait 1m\n}', "Corefile:4 - consul: expected a duration between 0s and 30s, got '1m'"],
    ['consul {\n dns 127.0.0.1\n max_connections 4\n}', 'Corefile:4 - consul: max_connections applies only to catalog mode (http), not to dns'],
    ['consul {\n http http://127.0.0.1:8500/v1\n}', "Corefile:3 - consul: the URL must not have a path (the plugin adds /v1/...): 'http://127.0.0.1:8500/v1'"],
    ['consul {\n http http://u:p@127.0.0.1:8500\n}', "Corefile:3 - consul: the URL must not carry a user or password: 'http://u:p@127.0.0.1:8500'"],
    ['consul {\n http 127.0.0.1:8500\n}', "Corefile:3 - consul: expected an http:// or https:// URL like http://127.0.0.1:8500, got '127.0.0.1:8500'"],
    ['consul {\n http\n}', 'Corefile:3 - consul: http takes exactly 1 argument, got 0'],
    ['consul {\n dns agent.local:8600\n}', "Corefile:3 - consul: 'agent.local' is not an IP address: the agent's DNS address must be an IP literal"],
    ['consul {\n dns 127.0.0.1:0\n}', "Corefile:3 - consul: port '0' of '127.0.0.1:0' is not between 1 and 65535"],
    ['consul {\n dns 127.0.0.1\n tls_servername consul.test\n}', 'Corefile:4 - consul: tls_servername applies only to catalog mode (http), not to dns'],
    ['consul {\n dns 127.0.0.1\n token x\n}', 'Corefile:4 - consul: token applies only to catalog mode (http), not to dns'],
    ['consul {\n dns 127.0.0.1\n ttl 5\n}', 'Corefile:4 - consul: ttl applies only to catalog mode (http), not to dns'],
    ['consul {\n http http://127.0.0.1:8500\n ttl 1500ms\n}', "Corefile:4 - consul: ttl must be whole seconds, got '1500ms'"],
    ['consul {\n http http://127.0.0.1:8500\n ttl 2d\n}', "Corefile:4 - consul: expected a duration between 0s and 24h (like 500ms, 30s, 5m, 1h), got '2d'"],
    ['consul {\n http http://127.0.0.1:8500\n ttl 25h\n}', "Corefile:4 - consul: expected a duration between 0s and 24h, got '25h'"],
    ['consul {\n http http://127.0.0.1:8500\n idle 10ms\n}', "Corefile:4 - consul: expected a duration between 1s and 168h, got '10ms'"],
    ['consul {\n http http://127.0.0.1:8500\n max_stale forever\n}', "Corefile:4 - consul: expected a duration between 0s and 168h (like 500ms, 30s, 5m, 1h), got 'forever'"],
    ['consul {\n http http://127.0.0.1:8500\n only_passing maybe\n}', "Corefile:4 - consul: only_passing takes true or false, got 'maybe'"],
    ['consul {\n http http://127.0.0.1:8500\n datacenter dc.1\n}', "Corefile:4 - consul: datacenter 'dc.1' is not a DNS label"],
    ['consul {\n http http://127.0.0.1:8500\n namespace team.a\n}', "Corefile:4 - consul: namespace 'team.a' is not a DNS label"],
    ['consul {\n http http://127.0.0.1:8500\n partition -eu\n}', "Corefile:4 - consul: partition '-eu' is not a DNS label"],
    ['consul {\n http http://127.0.0.1:8500\n namespace\n}', 'Corefile:4 - consul: namespace takes exactly 1 argument, got 0'],
    ['consul {\n http http://127.0.0.1:8500\n translate_wan_addrs maybe\n}', "Corefile:4 - consul: translate_wan_addrs takes true or false, got 'maybe'"],
    ['consul {\n http http://127.0.0.1:8500\n catalog_feed 2\n}', "Corefile:4 - consul: catalog_feed takes true or false, got '2'"],
    ['consul {\n dns 127.0.0.1\n namespace team\n}', 'Corefile:4 - consul: namespace applies only to catalog mode (http), not to dns'],
    ['consul {\n dns 127.0.0.1\n translate_wan_addrs\n}', 'Corefile:4 - consul: translate_wan_addrs applies only to catalog mode (http), not to dns'],
    ['consul {\n http http://127.0.0.1:8500\n token "a b"\n}', 'Corefile:4 - consul: token must be printable ASCII without spaces'],
    ['consul {\n http http://127.0.0.1:8500\n token a b\n}', 'Corefile:4 - consul: token takes exactly 1 argument, got 2'],
    ['consul {\n http http://127.0.0.1:8500\n ttl 5\n ttl 6\n}', 'Corefile:5 - consul: ttl is set twice'],
    ['consul {\n http http://127.0.0.1:8500\n service_ttl web 5s\n service_ttl WEB 6s\n}', 'Corefile:5 - consul: service_ttl WEB is set twice'],
    ['consul {\n http http://127.0.0.1:8500\n service_ttl w*b 5s\n}', "Corefile:4 - consul: service_ttl takes a service name, NAME* or *, got 'w*b'"],
    ['consul {\n http http://127.0.0.1:8500\n service_ttl web\n}', 'Corefile:4 - consul: service_ttl takes exactly 2 arguments, got 1'],
    ['consul {\n http http://127.0.0.1:8500\n a_record_limit -1\n}', "Corefile:4 - consul: expected an integer between 0 and 4096, got '-1'"],
    ['consul {\n http http://127.0.0.1:8500\n soa_min_ttl 1500ms\n}', "Corefile:4 - consul: soa_min_ttl must be whole seconds, got '1500ms'"],
    ['consul {\n dns 127.0.0.1\n soa_min_ttl 30s\n}', 'Corefile:4 - consul: soa_min_ttl applies only to catalog mode (http), not to dns'],
    ['consul {\n http http://127.0.0.1:8500\n node_ttl 1500ms\n}', "Corefile:4 - consul: node_ttl must be whole seconds, got '1500ms'"],
    ['consul {\n http http://127.0.0.1:8500\n recursors 1.1.1.1\n}', "Corefile:4 - consul: unknown property 'recursors'"],
    ['consul a..b {\n http http://127.0.0.1:8500\n}', "Corefile:2 - consul: zone 'a..b' has an empty label"],
  ];
  it.each(bad)('%s', (line, message) => {
    const [d] = consuls(snippet(line));
    let caught: unknown;
    try { parse(d!); } catch (err) { caught = err; }
    expect((caught as Error | undefined)?.message).toBe(message);
  });

  it('parses every example of the README (its TLS and token files stood in for by real ones)', () => {
    const certs = makeTestCerts();
    const token = join(certs.dir, 'token');
    writeFileSync(token, 'example-token\n');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
      .replaceAll('/etc/consul.d/tls/consul-agent-ca.pem', certs.caFile)
      .replaceAll('/etc/consul.d/tls/dc1-client-consul-0.pem', certs.clientCertFile)
      .replaceAll('/etc/consul.d/tls/dc1-client-consul-0-key.pem', certs.clientKeyFile)
      .replaceAll('/var/run/secrets/consul/token', token);
    onTestFinished(() => certs.remove());
    const blocks = [...readme.matchAll(/```corefile\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const text of blocks) {
      const ds = consuls(text, 'README.md');
      expect(ds.length).toBeGreaterThan(0);
      for (const d of ds) expect(() => parse(d)).not.toThrow();
    }
  });
});

describe('consul setup with TLS files', () => {
  it('reads ca_file, ca_path, cert_file and key_file, and points at the line of a bad one', () => {
    const certs = makeTestCerts();
    onTestFinished(() => certs.remove());
    const [d] = consuls(`consul.:1053 {\n consul {\n  http https://localhost:8501\n  ca_file ${certs.caFile}\n  ca_path ${certs.dir}\n  cert_file ${certs.clientCertFile}\n  key_file ${certs.clientKeyFile}\n }\n}\n`);
    const o = parse(d!);
    expect(o.tls?.ca).toHaveLength(5);                                       // ca.pem; then the four .pem certificates of the directory
    expect(o.tls?.cert).toContain('BEGIN CERTIFICATE');
    expect(o.tls?.key).toContain('PRIVATE KEY');
    const [bad] = consuls(`consul.:1053 {\n consul {\n  http https://localhost:8501\n  cert_file ${certs.clientCertFile}\n  key_file ${certs.caFile}\n }\n}\n`);
    expect(() => parse(bad!)).toThrow(`Corefile:5 - consul: ${certs.caFile} holds no PEM private key`);
    const [alone] = consuls(`consul.:1053 {\n consul {\n  http https://localhost:8501\n  cert_file ${certs.clientCertFile}\n }\n}\n`);
    expect(() => parse(alone!)).toThrow('Corefile:4 - consul: cert_file and key_file go together (the client certificate and its key)');
  });

  it('reads token_file at setup, and refuses it beside token', () => {
    const certs = makeTestCerts();
    onTestFinished(() => certs.remove());
    const file = join(certs.dir, 'tok');
    writeFileSync(file, 'abc\n');
    const [d] = consuls(`consul.:1053 {\n consul {\n  http http://127.0.0.1:8500\n  token_file ${file}\n }\n}\n`);
    expect(parse(d!).tokenFile).toBe(file);
    const [both] = consuls(`consul.:1053 {\n consul {\n  http http://127.0.0.1:8500\n  token x\n  token_file ${file}\n }\n}\n`);
    expect(() => parse(both!)).toThrow('Corefile:5 - consul: give token or token_file, not both');
    writeFileSync(file, 'a b\n');
    expect(() => parse(d!)).toThrow(`Corefile:4 - consul: ${file} does not hold a token (printable ASCII without spaces)`);
  });
});

describe('consul() in code', () => {
  it('takes the Corefile options with their defaults', () => {
    expect(typeof consul({ http: 'http://127.0.0.1:8500' })).toBe('function');
    expect(typeof consul({ dns: { host: '::1', port: 8600 } })).toBe('function');
    expect(DEFAULTS.ttl).toBe(5);
    expect(DEFAULTS.onlyPassing).toBe(false);                     // Consul's DNS default
  });

  const bad: [Parameters<typeof consul>[0], string][] = [
    [{}, 'consul: dns/http: give exactly one of dns (DNS mode) and http (catalog mode)'],
    [{ http: 'http://127.0.0.1:8500', dns: '127.0.0.1' }, 'consul: dns/http: give exactly one'],
    [{ http: 'ftp://127.0.0.1' }, "consul: http: only http: and https: URLs are supported, got 'ftp:'"],
    [{ http: 'http://127.0.0.1:8500', namespace: 'a b' }, "consul: namespace: 'a b' is not a DNS label"],
    [{ http: 'http://127.0.0.1:8500', partition: '' }, "consul: partition: '' is not a DNS label"],
    [{ dns: '127.0.0.1', translateWanAddrs: true }, 'consul: translateWanAddrs: applies only to catalog mode (http)'],
    [{ http: 'http://127.0.0.1:8500', tls: { caFile: '/x' } }, 'consul: tls: needs an https:// URL'],
    [{ http: 'https://127.0.0.1:8501', tls: { certFile: '/x' } }, 'consul: tls.keyFile: cert_file and key_file go together'],
    [{ http: 'http://127.0.0.1:8500', token: 'a', tokenFile: '/x' }, 'consul: tokenFile: give token or tokenFile, not both'],
    [{ http: 'http://127.0.0.1:8500', maxConnections: 1 }, 'consul: maxConnections: expected an integer from 2 to 64, got 1'],
    [{ http: 'http://127.0.0.1:8500', consistency: 'eventual' as never }, 'consul: consistency: expected one of stale, default, consistent, got eventual'],
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
