import dgram from 'node:dgram';
import { readdirSync } from 'node:fs';
import dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { UpstreamTimeout } from './errors.js';
import { UpstreamClient } from './exchange.js';

const query = (name: string): Buffer => dnsPacket.encode({ type: 'query', id: 1, flags: 0x0100, questions: [{ name, type: 'A', class: 'IN' }] });
const openFds = (): number => readdirSync('/proc/self/fd').length;

const sockets: dgram.Socket[] = [];
afterEach(() => { for (const s of sockets.splice(0)) s.close(); });

/** An upstream on loopback: `reply` false = silent (it reads every query and never answers). */
async function upstream(reply: boolean): Promise<{ port: number; seen: { port: number; id: number }[] }> {
  const socket = dgram.createSocket('udp4');
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const seen: { port: number; id: number }[] = [];
  socket.on('message', (msg, rinfo) => {
    const q = dnsPacket.decode(msg);
    seen.push({ port: rinfo.port, id: q.id! });
    if (reply) {
      socket.send(dnsPacket.encode({ type: 'response', id: q.id, flags: 0x8180, questions: q.questions, answers: [{ name: q.questions![0]!.name, type: 'A', ttl: 5, data: '192.0.2.9' }] }), rinfo.port, rinfo.address);
    }
  });
  return { port: socket.address().port, seen };
}

describe('the outgoing UDP socket pool', () => {
  it('holds at most maxUdpSockets descriptors during a flood of unique names at a silent upstream', async () => {
    const silent = await upstream(false);
    const client = new UpstreamClient({ maxUdpSockets: 16 });
    const before = openFds();
    let peakFds = 0;
    const sample = setInterval(() => { peakFds = Math.max(peakFds, openFds() - before); }, 2);
    const flood = Array.from({ length: 300 }, (_, i) =>
      client.exchange(query(`n${i}.flood.test`), { host: '127.0.0.1', port: silent.port }, { timeout: 150 }).then(() => 'answered', (err) => err));
    peakFds = Math.max(peakFds, openFds() - before);
    const results = await Promise.all(flood);
    clearInterval(sample);
    expect(results.every((r) => r instanceof UpstreamTimeout)).toBe(true);
    expect(client.udpPool.peak).toBe(16);
    expect(peakFds).toBeLessThanOrEqual(16);
    expect(client.udpPool.open).toBe(0);
    expect(openFds()).toBeLessThanOrEqual(before);
    expect(client.udpPool.waits).toBeGreaterThan(0);
    // Each query that went out had a socket of its own: random source ports and IDs, no two alike in a run.
    expect(silent.seen.length).toBeGreaterThanOrEqual(16);
    expect(new Set(silent.seen.map((s) => s.port)).size).toBeGreaterThan(silent.seen.length * 0.9);
    expect(new Set(silent.seen.map((s) => s.id)).size).toBeGreaterThan(silent.seen.length * 0.9);
    client.close();
  });

  it('serves queries waiting for a socket, in turn, when the upstream answers', async () => {
    const live = await upstream(true);
    const client = new UpstreamClient({ maxUdpSockets: 4 });
    const replies = await Promise.all(Array.from({ length: 60 }, (_, i) =>
      client.exchange(query(`w${i}.test`), { host: '127.0.0.1', port: live.port }, { timeout: 3000 })));
    expect(replies.map((r) => r.question?.name)).toEqual(Array.from({ length: 60 }, (_, i) => `w${i}.test`));
    expect(client.udpPool.peak).toBe(4);
    expect(client.udpPool.waiting).toBe(0);
    expect(client.udpPool.open).toBe(0);
    client.close();
  });

  it('drops a waiting query from the line when it is aborted, without leaking its place', async () => {
    const silent = await upstream(false);
    const client = new UpstreamClient({ maxUdpSockets: 1 });
    const first = client.exchange(query('a.test'), { host: '127.0.0.1', port: silent.port }, { timeout: 200 }).catch((e) => e);
    const ac = new AbortController();
    const second = client.exchange(query('b.test'), { host: '127.0.0.1', port: silent.port }, { timeout: 5000, signal: ac.signal }).catch((e) => e);
    ac.abort();
    await second;
    await first;
    expect(client.udpPool.open).toBe(0);
    expect(silent.seen).toHaveLength(1);                            // the aborted one never went out
    client.close();
  });
});
