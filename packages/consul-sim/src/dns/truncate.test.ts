import { describe, expect, it } from 'vitest';
import dnsPacket from 'dns-packet';
import type { Answer, Packet } from 'dns-packet';
import { trimTcp, trimUdp, udpLimit } from './truncate.js';

/** n SRV answers, each target with A glue then two meta TXT, and a SOA in Authority. */
function srvReply(n: number): Packet {
  const answers: Answer[] = [];
  const additionals: Answer[] = [];
  for (let i = 0; i < n; i++) {
    const target = `ip-10-0-0-${i}.node.dc1.consul`;
    answers.push({ name: 'web.service.consul', type: 'SRV', ttl: 0, data: { priority: 1, weight: 1, port: 80, target } });
    additionals.push({ name: target, type: 'A', ttl: 0, data: `10.0.0.${i}` });
    additionals.push({ name: target, type: 'TXT', ttl: 0, data: 'availability_zone=us-west-2a' });
    additionals.push({ name: target, type: 'TXT', ttl: 0, data: 'consul-network-segment=' });
  }
  const authorities: Answer[] = [{ name: 'consul', type: 'SOA', ttl: 0, data: { mname: 'ns.consul', rname: 'hostmaster.consul', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 0 } }];
  return { id: 1, type: 'response', questions: [{ name: 'web.service.consul', type: 'SRV' }], answers, authorities, additionals };
}

const size = (m: Packet) => dnsPacket.encodingLength(m);
const syncedWith = (m: Packet, n: number): Packet => {
  const full = srvReply(n);
  return { ...full, authorities: [], additionals: full.additionals.filter((a) => a.type === 'A') };
};

describe('udpLimit', () => {
  it("is 512, or the client's larger EDNS size, capped at 65467", () => {
    expect(udpLimit(undefined)).toBe(512);
    expect(udpLimit(256)).toBe(512);
    expect(udpLimit(1232)).toBe(1232);
    expect(udpLimit(65535)).toBe(65467);
  });
});

describe('trimUdp', () => {
  it('cuts to the answer limit at exactly 512 and keeps the first record per remaining target', () => {
    const m = srvReply(20);
    expect(trimUdp(m, 512, 3)).toBe(true);
    expect(m.answers).toHaveLength(3);
    expect(m.additionals.map((a) => `${a.type} ${a.name}`)).toEqual([0, 1, 2].map((i) => `A ip-10-0-0-${i}.node.dc1.consul`));
    expect(m.authorities).toHaveLength(1); // the count cut alone leaves Authority
  });

  it('binary-searches the largest answer count under limit - 8, dropping Authority and TXT', () => {
    const m = srvReply(50);
    expect(trimUdp(m, 1232, 3)).toBe(true);
    const n = m.answers.length;
    expect(size(m)).toBeLessThanOrEqual(1232 - 8);
    expect(size(syncedWith(m, n + 1))).toBeGreaterThan(1232 - 8);
    expect(m.authorities).toEqual([]);
    expect(m.additionals.every((a) => a.type === 'A')).toBe(true);
  });

  it('leaves a reply that fits untouched', () => {
    const m = srvReply(2);
    const before = size(m);
    expect(trimUdp(m, 4096, 3)).toBe(false);
    expect(size(m)).toBe(before);
    expect(m.additionals).toHaveLength(6);
  });

  it('sends a single oversized answer anyway', () => {
    const m = srvReply(1);
    m.additionals.push(...Array.from({ length: 40 }, () => ({ name: 'x.consul', type: 'TXT', ttl: 0, data: 'y'.repeat(50) })));
    expect(trimUdp(m, 512, 3)).toBe(false);
    expect(m.answers).toHaveLength(1);
  });
});

describe('trimTcp', () => {
  it('caps A answers at 4096, then cuts to 65523 bytes', () => {
    const answers: Answer[] = Array.from({ length: 5000 }, (_, i) => ({ name: 'web.service.consul', type: 'A', ttl: 0, data: `10.0.${i >> 8}.${i & 255}` }));
    const m: Packet = { id: 1, type: 'response', questions: [{ name: 'web.service.consul', type: 'A' }], answers, authorities: [], additionals: [] };
    expect(trimTcp(m, 'A')).toBe(true);
    expect(size(m)).toBeLessThanOrEqual(65523);
    expect(m.answers.length).toBeGreaterThan(1500);
  });

  it('answers 50 SRV in full', () => {
    const m = srvReply(50);
    expect(trimTcp(m, 'SRV')).toBe(false);
    expect(m.additionals).toHaveLength(150);
  });
});
