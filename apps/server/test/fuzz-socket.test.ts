// The bounded raw-socket fuzzer against the running binary (issue 15): random octets, valid queries
// and valid queries mutated, over UDP and TCP. The server must never crash, never send a reply that
// breaks the rules (under 12 octets, QR clear, another ID), count what it drops, and answer a normal
// query rightly afterwards. A longer run: `node scripts/fuzz.mjs --iterations N --seconds S`.
import { fakeUpstream, freePort, fuzzServer, query } from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startDnsmesh } from './dnsmesh-process.js';

const SEED = Number(process.env.DNSMESH_FUZZ_SEED ?? Date.now() % 2 ** 31);

async function scrape(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

function metric(text: string, name: string, labels = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
      if (labels !== '' && !line.includes(labels)) continue;
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return sum;
}

describe(`raw-socket fuzzer against dnsmesh (seed ${SEED}; DNSMESH_FUZZ_SEED replays it)`, () => {
  it('survives random and mutated queries over UDP and TCP, counts its drops, and still answers rightly', async () => {
    const upstream = await fakeUpstream({
      'www.test A': { ttl: 300, data: ['192.0.2.1'] },
      'ok.test A': { ttl: 300, data: ['192.0.2.2'] },
    }, { soa: { zone: 'test', ttl: 300, minimum: 60 } });
    onTestFinished(() => upstream.close());
    const port = await freePort();
    const metricsPort = await freePort('tcp');
    const server = await startDnsmesh(`.:${port} {\n  bind 127.0.0.1\n  prometheus 127.0.0.1:${metricsPort}\n  cache\n  forward . ${upstream.address}\n}\n`);
    const address = `127.0.0.1:${port}`;
    const before = await scrape(metricsPort);

    const udp = await fuzzServer(address, { transport: 'udp', iterations: 2000, durationMs: 20_000, seed: SEED, concurrency: 16, replyTimeoutMs: 300 });
    const tcp = await fuzzServer(address, { transport: 'tcp', iterations: 600, durationMs: 15_000, seed: SEED + 1, concurrency: 8, replyTimeoutMs: 300 });

    expect(server.child.exitCode, server.stderr).toBeNull();
    expect(udp.badReplies, JSON.stringify(udp.badReplies, null, 1)).toEqual([]);
    expect(tcp.badReplies, JSON.stringify(tcp.badReplies, null, 1)).toEqual([]);
    expect(udp.sent).toBe(2000);
    expect(tcp.sent).toBe(600);
    // Malformed queries whose header reads got FORMERR, not silence.
    expect(udp.rcodes.FORMERR ?? 0).toBeGreaterThan(100);
    expect(tcp.rcodes.FORMERR ?? 0).toBeGreaterThan(20);

    // What it dropped unanswered (shorter than a header, QR set) is counted, and every datagram was read.
    const after = await scrape(metricsPort);
    const shortSent = udp.kinds.short ?? 0;
    expect(shortSent).toBeGreaterThan(0);
    expect(metric(after, 'dnsmesh_edge_dropped_total') - metric(before, 'dnsmesh_edge_dropped_total')).toBeGreaterThanOrEqual(shortSent);
    expect(metric(after, 'dnsmesh_edge_queries_total') - metric(before, 'dnsmesh_edge_queries_total')).toBeGreaterThanOrEqual(udp.replies);
    expect(metric(after, 'dnsmesh_edge_replies_total', 'rcode="FORMERR"')).toBeGreaterThan(0);

    // A normal query still gets the right answer, over both transports.
    for (const transport of ['udp', 'tcp'] as const) {
      const reply = await query(address, 'www.test', 'A', { transport, timeout: 3000 });
      expect(reply.rcode).toBe('NOERROR');
      expect(reply.answers.map((a) => a.data)).toEqual(['192.0.2.1']);
    }
    expect(server.child.exitCode).toBeNull();
  }, 90_000);
});
