import net from 'node:net';
import tls from 'node:tls';
import dnsPacket from 'dns-packet';
import { makeCertificates, type TestCertificates } from '@dnsmesh/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, DnsMessage, type DnsServer, type Plugin, type QueryContext } from '../src/index.js';

// The DoT listener holds the TCP listener's bounds (issue 18): real TLS on loopback; asserts
// counts, never durations.

const answerA: Plugin = {
  name: 'a',
  handle: (ctx: QueryContext) => DnsMessage.fromPacket({
    type: 'response', id: 0, flags: 0x8400, questions: [{ name: ctx.request.question!.name, type: 'A' }],
    answers: [{ name: ctx.request.question!.name, type: 'A', ttl: 60, data: '192.0.2.1' }],
  }),
};

let certs: TestCertificates;
beforeAll(() => { certs = makeCertificates(); });
afterAll(() => certs.remove());

let server: DnsServer | undefined;
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await server?.stop(0);
  server = undefined;
});

async function dotServer(tcp: Record<string, number>): Promise<{ port: number }> {
  server = await createServer({ scheme: 'tls', tls: { cert: certs.read('server.pem'), key: certs.read('server.key') }, plugins: [answerA], tcp }).start();
  const a = server.addresses.find((x) => x.transport === 'tls')!;
  return { port: a.port };
}

function secure(port: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca: certs.read('ca.pem'), servername: certs.hostname }, () => resolve(s));
    sockets.push(s);
    s.on('error', reject);
  });
}

/** One query over an open DoT connection, its reply's answer. */
function ask(s: tls.TLSSocket, name: string, id: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let acc = Buffer.alloc(0);
    const on = (chunk: Buffer): void => {
      acc = Buffer.concat([acc, chunk]);
      if (acc.length >= 2 && acc.length >= 2 + acc.readUInt16BE(0)) {
        s.off('data', on);
        const reply = dnsPacket.decode(acc.subarray(2, 2 + acc.readUInt16BE(0)));
        resolve(`${reply.id} ${(reply.answers?.[0] as { data?: string } | undefined)?.data}`);
      }
    };
    s.on('data', on);
    s.once('error', reject);
    s.write(dnsPacket.streamEncode({ type: 'query', id, flags: 0x0100, questions: [{ name, type: 'A' }] }));
  });
}

const closed = (s: net.Socket): Promise<void> => new Promise((resolve) => { if (s.destroyed) resolve(); else s.once('close', () => resolve()); });

describe('DoT listener bounds', () => {
  it('answers pipelined queries on one TLS connection (RFC 7766 framing)', async () => {
    const { port } = await dotServer({});
    const s = await secure(port);
    expect(await ask(s, 'a.example', 7)).toBe('7 192.0.2.1');
    expect(await ask(s, 'b.example', 8)).toBe('8 192.0.2.1');
    expect(server!.tcpListeners[0]!.connections).toBe(1);
  });

  it('counts a connection still in its handshake against max_per_client, and frees it when it goes', async () => {
    const { port } = await dotServer({ maxPerClient: 2 });
    // Two raw TCP connections that never start TLS hold both places...
    const raw = await Promise.all([0, 1].map(() => new Promise<net.Socket>((resolve) => { const s = net.connect(port, '127.0.0.1', () => resolve(s)); sockets.push(s); })));
    await new Promise((r) => setTimeout(r, 50));
    expect(server!.tcpListeners[0]!.connections).toBe(2);
    // ...so a third is closed at accept (counted), handshake or not.
    const third = net.connect(port, '127.0.0.1');
    sockets.push(third);
    third.on('error', () => {});
    await closed(third);
    expect(server!.tcpCounts()[0]!.tcp.refusedPerClient).toBe(1);
    // When one goes, its place is free again for a real client.
    raw[0]!.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect(server!.tcpListeners[0]!.connections).toBe(1);
    const s = await secure(port);
    expect(await ask(s, 'c.example', 9)).toBe('9 192.0.2.1');
  });

  it('a handshake that never ends is closed after frame_timeout and counted as a TLS failure', async () => {
    const { port } = await dotServer({ frameTimeout: 100 });
    const idle = net.connect(port, '127.0.0.1');
    sockets.push(idle);
    idle.on('error', () => {});
    await closed(idle);
    expect(server!.tcpCounts()[0]!.tcp.tlsErrors).toBe(1);
    expect(server!.tcpListeners[0]!.connections).toBe(0);
    expect(server!.tcpCounts()[0]!.tcp.open).toBe(0);
  });

  it('max_connections: a full listener evicts the stalest (a handshake-only one) for a new client', async () => {
    const { port } = await dotServer({ maxConnections: 1 });
    const stalled = net.connect(port, '127.0.0.1');
    sockets.push(stalled);
    stalled.on('error', () => {});
    await new Promise((r) => setTimeout(r, 50));
    const s = await secure(port);
    await closed(stalled);
    expect(server!.tcpCounts()[0]!.tcp.evicted).toBe(1);
    expect(await ask(s, 'd.example', 10)).toBe('10 192.0.2.1');
    expect(server!.tcpCounts()[0]!.tcp.open).toBe(1);
  });
});
