import * as dnsPacket from 'dns-packet';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildQuery } from './build-query.js';
import { HOSTILITIES, hostileUpstream, type Hostility } from './hostile-upstream.js';
import { queryRaw } from './query.js';

const TABLE = {
  'www.test A': { ttl: 300, data: ['192.0.2.1', '192.0.2.2', '192.0.2.3'] },
  'other.test A': { ttl: 60, data: ['192.0.2.9'] },
};

async function ask(h: Hostility, name = 'www.test', edns = true) {
  const up = await hostileUpstream(TABLE, { hostility: h });
  onTestFinished(() => up.close());
  const q = buildQuery(name, 'A', { id: 0x1234, edns: edns ? 1232 : false });
  return { up, raw: await queryRaw(up.address, q, { timeout: 300 }) };
}

const decodes = (b: Buffer) => { try { dnsPacket.decode(b); return true; } catch { return false; } };

describe('hostileUpstream', () => {
  it('answers honestly by default and per name, and stays silent when told', async () => {
    const { up, raw } = await ask('honest');
    expect(dnsPacket.decode(raw!).answers).toHaveLength(3);
    up.behave('silence', 'www.test');
    expect(up.hostilityFor('WWW.test.')).toBe('silence');
    expect(await queryRaw(up.address, buildQuery('www.test'), { timeout: 300 })).toBeUndefined();
    expect(dnsPacket.decode((await queryRaw(up.address, buildQuery('other.test')))!).answers).toHaveLength(1);
    up.behave('honest', 'www.test');
    expect(dnsPacket.decode((await queryRaw(up.address, buildQuery('www.test')))!).answers).toHaveLength(3);
    expect(up.count('www.test')).toBe(3);
  });

  it('sends garbage and short messages that keep the ID but do not parse as an answer', async () => {
    const { raw } = await ask('garbage');
    expect(raw!.readUInt16BE(0)).toBe(0x1234);
    expect(raw![2]! & 0x80).toBe(0x80);
    expect(raw!.length).toBeGreaterThanOrEqual(12);
    expect((await ask('short')).raw!.length).toBeLessThan(12);
  });

  it('sends a CNAME whose RDATA is a pointer to itself, or past the end', async () => {
    for (const h of ['pointer-loop', 'pointer-forward'] as const) {
      const { raw } = await ask(h);
      const ptr = raw!.readUInt16BE(raw!.length - 2);
      expect(ptr & 0xc000).toBe(0xc000);
      if (h === 'pointer-loop') expect(ptr & 0x3fff).toBe(raw!.length - 2);
      else expect(ptr & 0x3fff).toBeGreaterThan(raw!.length);
      expect(raw!.readUInt16BE(6)).toBe(1);
      expect(decodes(raw!)).toBe(false);
    }
  });

  it('lies about the ID or the question', async () => {
    expect((await ask('wrong-id')).raw!.readUInt16BE(0)).toBe(0x1234 ^ 0x5a5a);
    const wrong = dnsPacket.decode((await ask('wrong-question')).raw!);
    expect(wrong.id).toBe(0x1234);
    expect(wrong.questions[0]!.name).toBe('qww.test');
  });

  it('injects a root NS with glue, or an unrelated answer, keeping the question bytes and OPT last', async () => {
    const ns = dnsPacket.decode((await ask('inject-root-ns')).raw!);
    expect(ns.answers).toHaveLength(3);
    expect(ns.authorities).toMatchObject([{ name: '.', type: 'NS', data: 'ns.evil' }]);
    expect(ns.additionals.map((r) => r.type)).toEqual(['A', 'OPT']);
    const ans = dnsPacket.decode((await ask('inject-answer')).raw!);
    expect(ans.answers.map((r) => r.name)).toEqual(['www.test', 'www.test', 'www.test', 'victim.test']);
  });

  it('answers FORMERR, SERVFAIL, NOTIMP and REFUSED with a bare header and no question', async () => {
    for (const [h, rcode] of [['formerr-no-question', 1], ['servfail-no-question', 2], ['notimp-no-question', 4], ['refused-no-question', 5]] as const) {
      const { raw } = await ask(h);
      expect(raw!.length).toBe(12);
      expect(raw!.readUInt16BE(0)).toBe(0x1234);
      expect(raw![3]! & 0x0f).toBe(rcode);
      expect(raw!.readUInt16BE(4)).toBe(0);
    }
  });

  it('sets the top bit of every TTL, or makes them 2^31-1, leaving the OPT alone', async () => {
    const top = dnsPacket.decode((await ask('ttl-top-bit')).raw!);
    expect(top.answers.map((a) => a.ttl)).toEqual([0x8000012c, 0x8000012c, 0x8000012c]);
    expect(top.additionals.map((r) => r.type)).toEqual(['OPT']);
    const huge = dnsPacket.decode((await ask('ttl-huge')).raw!);
    expect(huge.answers.map((a) => a.ttl)).toEqual([0x7fffffff, 0x7fffffff, 0x7fffffff]);
  });

  it('sets TC with the last answer cut in half, or claims one answer more than it sends', async () => {
    const { raw } = await ask('tc-cut');
    expect(raw![2]! & 0x02).toBe(0x02);
    expect(raw!.readUInt16BE(6)).toBe(3);
    expect(raw!.readUInt16BE(10)).toBe(0);
    expect(decodes(raw!)).toBe(false);
    const lie = (await ask('count-lie')).raw!;
    expect(lie.readUInt16BE(6)).toBe(4);
    expect(decodes(lie)).toBe(false);
  });

  it('lists every behaviour it has', () => {
    expect(new Set(HOSTILITIES).size).toBe(HOSTILITIES.length);
    expect(HOSTILITIES.length).toBe(18);
  });
});
