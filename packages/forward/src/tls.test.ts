import { createServer } from '@dnsmesh/core';
import { fakeUpstream, makeCertificates, query, tlsUpstream, type FakeUpstream, type TestCertificates, type TlsUpstream } from '@dnsmesh/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ForwardPlugin } from './handler.js';
import { forward } from './index.js';
import type { ForwardInput } from './options.js';

// forward to tls:// upstreams (RFC 7858) with real sockets on loopback: a Node TLS server in front
// of testkit's fake upstream.

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

let certs: TestCertificates;
beforeAll(() => { certs = makeCertificates(); });
afterAll(() => certs.remove());

const NAMES = Array.from({ length: 40 }, (_, i) => `n${i}.example.test`);

async function dotUpstream(opts: { ca?: boolean } = {}): Promise<{ up: FakeUpstream; dot: TlsUpstream }> {
  const table = Object.fromEntries(NAMES.map((n, i) => [`${n} A`, { ttl: 30, data: [`10.0.0.${i + 1}`] }]));
  const up = await fakeUpstream(table);
  const dot = await tlsUpstream(up, { cert: certs.read('server.pem'), key: certs.read('server.key'), ...(opts.ca ? { ca: certs.read('ca.pem') } : {}) });
  cleanups.push(() => up.close(), () => dot.close());
  return { up, dot };
}

async function resolver(input: ForwardInput) {
  let plugin: ForwardPlugin | undefined;
  const server = await createServer({ port: 0, plugins: [(block) => (plugin = forward(input)(block) as ForwardPlugin)] }).start();
  cleanups.push(() => server.stop(0));
  return { address: server.address, plugin: plugin! };
}

describe('forward to tls:// upstreams', () => {
  it('pipelines many queries on one connection, matched by ID, and reuses it', async () => {
    const { up, dot } = await dotUpstream();
    const { address, plugin } = await resolver({ to: [`tls://${dot.address}`], tls: { ca: certs.read('ca.pem'), servername: certs.hostname } });
    // 40 queries at once: they go out together on the one connection and come back by ID.
    const replies = await Promise.all(NAMES.map((n) => query(address, n, 'A')));
    replies.forEach((r, i) => expect(r.answers.map((a) => a.data)).toEqual([`10.0.0.${i + 1}`]));
    // And a second round, one at a time: still that connection.
    for (const n of NAMES.slice(0, 5)) expect((await query(address, n, 'A')).rcode).toBe('NOERROR');
    expect(up.count(undefined, undefined, 'udp')).toBe(0);
    expect(up.count(undefined, 'A', 'tcp')).toBe(45);
    expect(dot.connections).toBe(1);
    expect(plugin.client.stats.tlsHandshakes).toBe(1);
    expect(plugin.client.stats.tlsQueries).toBe(45);
    expect(plugin.client.stats.tcpReused).toBe(44);
  });

  it('resumes the TLS session on a new connection (session tickets)', async () => {
    const { dot } = await dotUpstream();
    const { address, plugin } = await resolver({ to: [`tls://${dot.address}`], tls: { ca: certs.read('ca.pem'), servername: certs.hostname }, expire: 0 });
    expect((await query(address, NAMES[0]!, 'A')).rcode).toBe('NOERROR');
    expect((await query(address, NAMES[1]!, 'A')).rcode).toBe('NOERROR');  // expire 0: a new connection
    expect(dot.connections).toBe(2);
    expect(dot.resumed).toBe(1);
    expect(plugin.client.stats.tlsResumed).toBe(1);
  });

  it('a certificate for another name fails the handshake: named, counted, SERVFAIL with EDE 23, and backoff spares the upstream', async () => {
    const { up, dot } = await dotUpstream();
    const { address, plugin } = await resolver({ to: [`tls://${dot.address}`], tls: { ca: certs.read('ca.pem'), servername: 'other.test' }, maxFails: 0 });
    const r = await query(address, NAMES[0]!, 'A', { edns: 1232 });
    expect(r.rcode).toBe('SERVFAIL');
    expect(r.ede[0]!.code).toBe(23);
    expect(r.ede[0]!.text).toMatch(/tls: .*ERR_TLS_CERT_ALTNAME_INVALID/);
    expect(plugin.client.stats.tlsErrors).toBeGreaterThanOrEqual(1);
    const handshakes = dot.failedHandshakes;
    // Within the backoff the next query is refused at once, without another handshake.
    const again = await query(address, NAMES[1]!, 'A', { edns: 1232 });
    expect(again.rcode).toBe('SERVFAIL');
    expect(plugin.client.stats.tlsBackoffRejects).toBeGreaterThanOrEqual(1);
    expect(dot.failedHandshakes - handshakes).toBeLessThanOrEqual(3);
    expect(up.count()).toBe(0);
  }, 15_000);

  it('shows a client certificate when the upstream asks for one (tls CERT KEY CA)', async () => {
    const { dot } = await dotUpstream({ ca: true });
    const tls = { ca: certs.read('ca.pem'), cert: certs.read('client.pem'), key: certs.read('client.key'), servername: certs.hostname };
    const { address } = await resolver({ to: [`tls://${dot.address}`], tls });
    expect((await query(address, NAMES[3]!, 'A')).answers[0]!.data).toBe('10.0.0.4');
    const without = await resolver({ to: [`tls://${dot.address}`], tls: { ca: tls.ca, servername: tls.servername }, maxFails: 0 });
    expect((await query(without.address, NAMES[3]!, 'A')).rcode).toBe('SERVFAIL');
  }, 15_000);

  it('health checks a down tls:// upstream over TLS, on the same pool', async () => {
    const { up, dot } = await dotUpstream();
    const { address, plugin } = await resolver({ to: [`tls://${dot.address}`], tls: { ca: certs.read('ca.pem'), servername: certs.hostname }, healthCheck: 100 });
    const u = plugin.upstreams.upstreams[0]!;
    u.failed(); u.failed();            // max_fails 2: down, the probe starts
    expect(u.down).toBe(true);
    const until = Date.now() + 5000;
    while (u.down && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(u.down).toBe(false);
    expect(up.count('.', 'NS', 'tcp')).toBeGreaterThanOrEqual(1);   // the probe came over the TLS front
    expect(up.count(undefined, undefined, 'udp')).toBe(0);
    expect((await query(address, NAMES[0]!, 'A')).rcode).toBe('NOERROR');
    expect(dot.connections).toBe(1);
  }, 10_000);
});
