import { describe, expect, it, onTestFinished } from 'vitest';
import { fakeUpstream } from './fake-upstream.js';
import { hostileUpstream } from './hostile-upstream.js';
import { fuzzQuery, fuzzServer, prng } from './socket-fuzz.js';

describe('fuzzQuery', () => {
  it('makes the same queries from the same seed, and every kind of them', () => {
    const names = ['www.test'];
    const a = Array.from({ length: 300 }, ((r) => () => fuzzQuery(r, names))(prng(42)));
    const b = Array.from({ length: 300 }, ((r) => () => fuzzQuery(r, names))(prng(42)));
    expect(a.map((q) => q.bytes.toString('hex'))).toEqual(b.map((q) => q.bytes.toString('hex')));
    const kinds = new Set(a.map((q) => q.kind.split(':')[0]));
    expect(kinds).toEqual(new Set(['random', 'short', 'valid', 'mutated']));
    expect(a.filter((q) => q.kind === 'short').every((q) => q.bytes.length < 12)).toBe(true);
  });
});

describe('fuzzServer', () => {
  it('sends exactly the iterations asked, over UDP and TCP, and counts what came back', async () => {
    const up = await fakeUpstream({ 'www.test A': { ttl: 30, data: ['192.0.2.1'] } });
    onTestFinished(() => up.close());
    for (const transport of ['udp', 'tcp'] as const) {
      const stats = await fuzzServer(up.address, { transport, iterations: 300, seed: 1, concurrency: 8, replyTimeoutMs: 200 });
      expect(stats.sent).toBe(300);
      expect(stats.replies + stats.unanswered).toBeGreaterThanOrEqual(300);
      expect(stats.replies).toBeGreaterThan(50);
      expect(stats.rcodes.FORMERR).toBeGreaterThan(0);
      expect(stats.badReplies).toEqual([]);
      if (transport === 'tcp') expect(stats.tcpConnections).toBeGreaterThan(10);
    }
  });

  it('reports replies that break the rules: too short, or with an ID no query had', async () => {
    const short = await hostileUpstream({}, { hostility: 'short' });
    onTestFinished(() => short.close());
    const s = await fuzzServer(short.address, { transport: 'udp', iterations: 200, seed: 2, concurrency: 4, replyTimeoutMs: 200 });
    expect(s.badReplies.some((b) => /octets/.test(b.why))).toBe(true);
    const wrongId = await hostileUpstream({}, { hostility: 'wrong-id' });
    onTestFinished(() => wrongId.close());
    const t = await fuzzServer(wrongId.address, { transport: 'tcp', iterations: 200, seed: 3, concurrency: 4, replyTimeoutMs: 200 });
    expect(t.badReplies.some((b) => /ID no query/.test(b.why))).toBe(true);
  });

  it('stops at its time bound and talks to loopback only', async () => {
    const up = await fakeUpstream({}, { blackhole: true });
    onTestFinished(() => up.close());
    // A million iterations at 100 ms a silent reply would take hours: it returns (within the test's
    // timeout) only because its 500 ms bound stopped it, having sent a handful.
    const stats = await fuzzServer(up.address, { iterations: 1_000_000, durationMs: 500, concurrency: 4, replyTimeoutMs: 100 });
    expect(stats.sent).toBeLessThan(1000);
    await expect(fuzzServer('192.0.2.1:53', { iterations: 1 })).rejects.toThrow(/loopback/);
  });
});
