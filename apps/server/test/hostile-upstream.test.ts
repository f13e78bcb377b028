// Whatever an upstream sends (garbage, pointer loops, lies, injected NS and glue, question-less
// errors, odd TTLs, cut TC replies, silence), dnsmesh keeps its promises (issue 15): every client gets
// a well-formed reply within 6 s, nothing the upstream had no right to say reaches a client or the
// cache, and the server keeps answering others.
import {
  HOSTILITIES, buildQuery, dig, fakeUpstream, freePort, hostileUpstream, query, queryRaw, startUnbound, toReply, type DnsRecord, type Hostility,
} from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startDnsmesh } from './dnsmesh-process.js';

describe('dnsmesh in front of a hostile upstream', () => {
  it('answers every client within 6 s with a well-formed reply, passes on nothing injected, and keeps serving', async () => {
    const up = await hostileUpstream({ 'www.test A': { ttl: 300, data: ['192.0.2.1'] } }, { soa: { zone: 'test', ttl: 300, minimum: 60 } });
    onTestFinished(() => up.close());
    const port = await freePort();
    const server = await startDnsmesh(`.:${port} {\n  bind 127.0.0.1\n  cache\n  tcp_retry\n  forward . ${up.address}\n}\n`);
    const address = `127.0.0.1:${port}`;
    const hostile = HOSTILITIES.filter((h) => h !== 'honest');
    for (const h of hostile) {
      up.setRecord(`${h}.test A`, { ttl: 300, data: ['192.0.2.7'] });
      up.behave(h, `${h}.test`);
    }
    const problems: string[] = [];
    const ask = async (h: Hostility, round: string) => {
      const started = Date.now();
      const raw = await queryRaw(address, buildQuery(`${h}.test`, 'A', { edns: 1232 }), { timeout: 6500 });
      const took = Date.now() - started;
      if (raw === undefined) { problems.push(`${round} ${h}: no reply within 6.5 s`); return; }
      let reply;
      try { reply = toReply(raw); } catch (err) { problems.push(`${round} ${h}: malformed reply (${(err as Error).message})`); return; }
      if (took > 6000) problems.push(`${round} ${h}: reply after ${took} ms`);
      const all = [...reply.answers, ...reply.authorities, ...reply.additionals].filter((r): r is DnsRecord => r.type !== 'OPT');
      if (all.some((r) => r.name === '' || r.name === '.' || /evil|victim/.test(String(r.name)) || /evil/.test(JSON.stringify(r.data ?? '')))) {
        problems.push(`${round} ${h}: injected data passed on: ${JSON.stringify(all)}`);
      }
      for (const r of all) {
        const ttl = (r as { ttl?: number }).ttl ?? 0;
        if (ttl > 3600) problems.push(`${round} ${h}: TTL ${ttl} above the cache's max`);
        // RFC 2181 §8: a TTL with the top bit set is treated as 0 (at most the cache's 5 s floor).
        if (h === 'ttl-top-bit' && ttl > 5) problems.push(`${round} ${h}: TTL ${ttl} for a TTL with its top bit set (RFC 2181 §8: 0)`);
      }
    };
    // Cold, then again (what the cache kept), all at once; the pointer past the end last, alone (a
    // reader that walks off the message would stop the whole server: the others first show their own).
    const last: Hostility = 'pointer-forward';
    await Promise.all(hostile.filter((h) => h !== last).map((h) => ask(h, 'cold')));
    await ask(last, 'cold');
    await Promise.all(hostile.map((h) => ask(h, 'again')));
    expect(server.child.exitCode, server.stderr).toBeNull();
    expect(problems, problems.join('\n')).toEqual([]);
    // Others are served all along.
    for (const transport of ['udp', 'tcp'] as const) {
      const ok = await query(address, 'www.test', 'A', { transport, timeout: 3000 });
      expect(ok.answers.map((a) => a.data)).toEqual(['192.0.2.1']);
    }
  }, 60_000);

  // Unbound reads a UDP reply whole, whatever it advertised. dnsmesh's batched upstream sockets read
  // 4,096 bytes: a longer reply is taken as truncated and asked again over TCP, so the client gets
  // what Unbound gives it: TC when the answer does not fit its buffer, the whole answer over TCP.
  it('takes a UDP reply longer than it advertised (5 KB from an upstream that ignores EDNS) as Unbound does', async () => {
    const many = Array.from({ length: 320 }, (_, i) => `10.1.${i >> 8}.${i & 255}`);
    const up = await fakeUpstream({ 'big.example.org A': { ttl: 300, data: many }, 'www.example.org A': { ttl: 300, data: ['192.0.2.1'] } });
    onTestFinished(() => up.close());
    const unbound = await startUnbound({ forwardTo: up.address, probe: 'www.example.org' });
    onTestFinished(() => unbound.stop());
    const [port, metricsPort] = [await freePort(), await freePort('tcp')];
    const server = await startDnsmesh(`.:${port} {\n  bind 127.0.0.1\n  prometheus 127.0.0.1:${metricsPort}\n  cache\n  forward . ${up.address}\n}\n`);
    const big = (await queryRaw(up.address, buildQuery('big.example.org', 'A', { edns: 1232 }), { timeout: 2000 }))!;
    expect(big.length).toBeGreaterThan(5000); // over UDP, ignoring the 1,232 bytes it was told
    const sorted = (r: { answers: readonly DnsRecord[] }) => r.answers.map((a) => String(a.data)).sort();
    for (const address of [unbound.address, `127.0.0.1:${port}`]) {
      for (const edns of [1232, 4096]) {
        const udp = await query(address, 'big.example.org', 'A', { edns, timeout: 3000 });
        expect([address, edns, udp.rcode, udp.flags.tc]).toEqual([address, edns, 'NOERROR', true]);
      }
      const tcp = await query(address, 'big.example.org', 'A', { edns: 1232, transport: 'tcp', timeout: 3000 });
      expect([address, tcp.rcode, tcp.flags.tc, sorted(tcp)]).toEqual([address, 'NOERROR', false, [...many].sort()]);
      // dig takes the TC and asks again over TCP by itself.
      const out = await dig([`@127.0.0.1`, '-p', address.split(':')[1]!, '+bufsize=1232', 'big.example.org', 'A']);
      expect(out).toMatch(/status: NOERROR/);
      expect(out.match(/^big\.example\.org\.\s+\d+\s+IN\s+A\s+10\.1\./gm)).toHaveLength(320);
    }
    expect(server.child.exitCode, server.stderr).toBeNull();
    // On the batched transport each UDP try read the reply cut (the two UDP queries; dig's came after
    // the TCP query had put the whole answer in the cache); on dgram, whole.
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const oversize = Number(/^dnsmesh_forward_replies_oversize_total (\d+)$/m.exec(text)?.[1]);
    if (process.env.DNSMESH_UDP_BATCH === '0') expect(oversize).toBe(0);
    else expect(oversize).toBe(2);
  }, 30_000);
});
