import { describe, expect, it, onTestFinished } from 'vitest';
import { buildQuery } from './build-query.js';
import { fakeUpstream, type FakeUpstreamOptions } from './fake-upstream.js';
import { query, queryRaw } from './query.js';
import type { RecordTable } from './record-table.js';
import { toReply } from './reply.js';
import { tcpSession } from './tcp-session.js';
import { frame } from './tcp-frames.js';

async function upstream(table: RecordTable = {}, opts: FakeUpstreamOptions = {}) {
  const u = await fakeUpstream(table, opts);
  onTestFinished(() => u.close());
  return u;
}

const SOA = { zone: 'consul', ttl: 3600, minimum: 300 };

describe('fakeUpstream records', () => {
  it('answers UDP and TCP on one loopback port, authoritative, RA=0, the query ID and question echoed', async () => {
    const u = await upstream({ 'web.service.consul A': { ttl: 30, data: ['10.0.0.7', '10.0.0.8'] } });
    expect(u.host).toBe('127.0.0.1');
    expect(u.address).toBe(`127.0.0.1:${u.port}`);
    for (const transport of ['udp', 'tcp'] as const) {
      const reply = await query(u.address, 'WEB.Service.consul', 'A', { id: 4242, transport });
      expect(reply).toMatchObject({ id: 4242, rcode: 'NOERROR', flags: { qr: true, aa: true, ra: false, rd: true, tc: false } });
      expect(reply.questions).toEqual([{ name: 'WEB.Service.consul', type: 'A', class: 'IN' }]);
      expect(reply.answers.map((a) => [a.name, a.ttl, a.data])).toEqual([
        ['WEB.Service.consul', 30, '10.0.0.7'], ['WEB.Service.consul', 30, '10.0.0.8']]);
    }
    expect(u.count('web.service.consul.', 'a')).toBe(2);
  });

  it('copies the question bytes exactly, a trailing-dot key matches, and ra(true) sets RA', async () => {
    const u = await upstream({ 'Web.Service.Consul. A': { ttl: 30, data: ['10.0.0.7'] } }, { ra: true });
    const q = buildQuery('wEb.SERVICE.consul', 'A', { id: 7 });
    const raw = (await queryRaw(u.address, q))!;
    expect(raw.subarray(12, q.length).equals(q.subarray(12))).toBe(true);
    expect(toReply(raw).flags.ra).toBe(true);
    u.ra(false);
    expect((await query(u.address, 'web.service.consul')).flags.ra).toBe(false);
  });

  it('encodes each record type from its table form', async () => {
    const u = await upstream({
      'v6.example AAAA': { ttl: 10, data: ['fd00::7'] },
      'web.service.consul SRV': { ttl: 0, data: [{ priority: 1, weight: 5, port: 8080, target: 'node1.node.consul' }] },
      'example MX': { ttl: 20, data: [{ preference: 10, exchange: 'mail.example' }] },
      'example TXT': { ttl: 30, data: ['v=spf1 -all', ['two', 'strings']] },
      'example NS': { ttl: 40, data: ['ns1.example'] },
      '7.0.0.10.in-addr.arpa PTR': { ttl: 50, data: ['web.example'] },
    }, { soa: { ...SOA, zone: 'example', serial: 9 } });
    expect((await query(u.address, 'v6.example', 'AAAA')).answers[0]).toMatchObject({ type: 'AAAA', data: 'fd00::7' });
    expect((await query(u.address, 'web.service.consul', 'SRV')).answers[0])
      .toMatchObject({ ttl: 0, data: { priority: 1, weight: 5, port: 8080, target: 'node1.node.consul' } });
    expect((await query(u.address, 'example', 'MX')).answers[0]).toMatchObject({ data: { preference: 10, exchange: 'mail.example' } });
    const txt = await query(u.address, 'example', 'TXT');
    expect(txt.answers.map((a) => (a.data as Buffer[]).map(String))).toEqual([['v=spf1 -all'], ['two', 'strings']]);
    expect((await query(u.address, 'example', 'NS')).answers[0]).toMatchObject({ data: 'ns1.example' });
    expect((await query(u.address, '7.0.0.10.in-addr.arpa', 'PTR')).answers[0]).toMatchObject({ data: 'web.example' });
    expect((await query(u.address, 'EXAMPLE', 'SOA')).answers[0])
      .toMatchObject({ name: 'EXAMPLE', type: 'SOA', ttl: 3600, data: { serial: 9, minimum: 300 } });
  });

  it('gives one record its own TTL inside an RRset', async () => {
    const u = await upstream({ 'mixed.example A': { ttl: 100, data: ['10.0.0.1', { ttl: 200, data: '10.0.0.2' }] } });
    const reply = await query(u.address, 'mixed.example');
    expect(reply.answers.map((a) => [a.ttl, a.data])).toEqual([[100, '10.0.0.1'], [200, '10.0.0.2']]);
  });

  it('setRecord and removeRecord change the answers at once', async () => {
    const u = await upstream();
    expect((await query(u.address, 'new.example')).rcode).toBe('NXDOMAIN');
    u.setRecord('new.example A', { ttl: 5, data: ['10.0.0.9'] });
    expect((await query(u.address, 'new.example')).answers[0]).toMatchObject({ data: '10.0.0.9' });
    u.removeRecord('NEW.example. a');
    expect((await query(u.address, 'new.example')).rcode).toBe('NXDOMAIN');
    expect(() => u.setRecord('no-type-here', { ttl: 1, data: [] })).toThrow(/must be 'NAME TYPE'/);
    expect(() => u.setRecord('x.example A', { rcode: 'NXDOMAN' })).toThrow(/unknown rcode 'NXDOMAN'/);
  });
});

describe('fakeUpstream CNAME chains', () => {
  const table: RecordTable = {
    'www.example CNAME': { ttl: 60, data: ['edge.example'] },
    'edge.example A': { cname: 'web.service.consul', ttl: 120 },
    'web.service.consul A': { ttl: 300, data: ['10.0.0.7'] },
    'web.service.consul TXT': { ttl: 300, data: ['hi'] },
    'dangling.example CNAME': { ttl: 60, data: ['gone.consul'] },
    'loop1.example CNAME': { ttl: 5, data: ['loop2.example'] },
    'loop2.example CNAME': { ttl: 5, data: ['loop1.example'] },
  };

  it('answers the CNAMEs and then the target records, as an authoritative server does', async () => {
    const u = await upstream(table, { soa: SOA });
    const reply = await query(u.address, 'WWW.example', 'A');
    expect(reply.rcode).toBe('NOERROR');
    expect(reply.answers.map((a) => `${a.name} ${a.ttl} ${a.type} ${a.data}`)).toEqual([
      'WWW.example 60 CNAME edge.example',
      'edge.example 120 CNAME web.service.consul',
      'web.service.consul 300 A 10.0.0.7',
    ]);
    expect(u.queries).toHaveLength(1);
  });

  it('answers only the CNAME when the CNAME itself is asked for', async () => {
    const u = await upstream(table);
    const reply = await query(u.address, 'www.example', 'CNAME');
    expect(reply.answers.map((a) => a.data)).toEqual(['edge.example']);
  });

  it('ends a chain whose target has no records in NXDOMAIN, or NODATA for another type, with the SOA', async () => {
    const u = await upstream(table, { soa: SOA });
    const nx = await query(u.address, 'dangling.example', 'A');
    expect(nx.rcode).toBe('NXDOMAIN');
    expect(nx.answers.map((a) => a.data)).toEqual(['gone.consul']);
    expect(nx.authorities).toMatchObject([{ name: 'consul', type: 'SOA', ttl: 3600, data: { minimum: 300 } }]);
    const nodata = await query(u.address, 'www.example', 'AAAA');
    expect(nodata.rcode).toBe('NOERROR');
    expect(nodata.answers.map((a) => a.type)).toEqual(['CNAME']); // edge.example's CNAME is scripted for A only
    expect(nodata.authorities.map((a) => a.type)).toEqual(['SOA']);
  });

  it('stops at a CNAME loop', async () => {
    const u = await upstream(table);
    const reply = await query(u.address, 'loop1.example', 'A');
    expect(reply.answers.map((a) => `${a.name}>${a.data}`)).toEqual(['loop1.example>loop2.example', 'loop2.example>loop1.example']);
  });
});

describe('fakeUpstream negative answers', () => {
  it('answers a name it does not know NXDOMAIN, with the SOA only when one is configured', async () => {
    const withSoa = await upstream({}, { soa: SOA });
    const nx = await query(withSoa.address, 'nope.consul', 'A');
    expect(nx).toMatchObject({ rcode: 'NXDOMAIN', answers: [], flags: { aa: true } });
    expect(nx.authorities).toMatchObject([{ type: 'SOA', ttl: 3600, data: { minimum: 300 } }]);
    const bare = await upstream();
    expect(await query(bare.address, 'nope.consul', 'A')).toMatchObject({ rcode: 'NXDOMAIN', authorities: [] });
  });

  it('answers NODATA for a name with other types only, and for a name with names below it', async () => {
    const u = await upstream({ 'web.service.consul A': { ttl: 30, data: ['10.0.0.7'] } }, { soa: SOA });
    for (const [name, type] of [['web.service.consul', 'AAAA'], ['service.consul', 'A']] as const) {
      const reply = await query(u.address, name, type);
      expect(reply).toMatchObject({ rcode: 'NOERROR', answers: [] });
      expect(reply.authorities.map((a) => a.type)).toEqual(['SOA']);
    }
  });

  it('scripts an rcode per name and type, with its own SOA, none, or for every type with *', async () => {
    const u = await upstream({
      'gone.consul A': { rcode: 'NXDOMAIN', soa: { zone: 'consul', ttl: 86_400, minimum: 86_400 } },
      'bare.consul A': { rcode: 'NXDOMAIN', soa: false },
      'broken.consul *': { rcode: 'SERVFAIL' },
    }, { soa: SOA });
    const gone = await query(u.address, 'gone.consul');
    expect(gone.rcode).toBe('NXDOMAIN');
    expect(gone.authorities[0]).toMatchObject({ ttl: 86_400, data: { minimum: 86_400 } });
    expect(await query(u.address, 'bare.consul')).toMatchObject({ rcode: 'NXDOMAIN', authorities: [] });
    expect(await query(u.address, 'broken.consul', 'SRV')).toMatchObject({ rcode: 'SERVFAIL', answers: [], authorities: [] });
  });
});

describe('fakeUpstream knobs', () => {
  const table: RecordTable = {
    'web.service.consul A': { ttl: 30, data: ['10.0.0.7'] },
    'slow.service.consul A': { ttl: 30, data: ['10.0.0.8'] },
  };

  it('delays every reply: nothing before the delay, the answer after it', async () => {
    const u = await upstream(table, { delay: 400 });
    expect(await queryRaw(u.address, buildQuery('web.service.consul'), { timeout: 100 })).toBeUndefined();
    expect((await query(u.address, 'web.service.consul')).answers).toHaveLength(1);
    u.delay(0);
    expect(await queryRaw(u.address, buildQuery('web.service.consul'), { timeout: 1000 })).toBeDefined();
  });

  it('delays one name, so its reply comes after a later query for another name', async () => {
    const u = await upstream(table, { delays: { 'slow.service.consul': 300 } });
    const session = await tcpSession(u.address);
    onTestFinished(() => session.close());
    session.send(buildQuery('slow.service.consul', 'A', { id: 1 }), buildQuery('web.service.consul', 'A', { id: 2 }));
    expect((await session.next()).id).toBe(2);
    expect((await session.next()).id).toBe(1);
    u.delay(undefined, 'SLOW.service.consul.');
    u.delay(300, 'web.service.consul A');
    session.send(buildQuery('web.service.consul', 'A', { id: 3 }), buildQuery('slow.service.consul', 'A', { id: 4 }));
    expect((await session.next()).id).toBe(4);
    expect((await session.next()).id).toBe(3);
  });

  it('blackhole receives and counts queries but never answers', async () => {
    const u = await upstream(table, { blackhole: true });
    await expect(query(u.address, 'web.service.consul', 'A', { timeout: 300 })).rejects.toThrow(/no reply from 127\.0\.0\.1:\d+ to web\.service\.consul A over udp within 300 ms/);
    expect(await queryRaw(u.address, buildQuery('web.service.consul'), { transport: 'tcp', timeout: 300 })).toBeUndefined();
    expect(u.count('web.service.consul')).toBe(2);
    u.blackhole(false);
    expect((await query(u.address, 'web.service.consul')).rcode).toBe('NOERROR');
  });

  it('servfail and refused answer with that rcode, not authoritative, refused winning', async () => {
    const u = await upstream(table, { servfail: true });
    expect(await query(u.address, 'web.service.consul')).toMatchObject({ rcode: 'SERVFAIL', answers: [], flags: { aa: false } });
    u.refused(true);
    expect((await query(u.address, 'web.service.consul')).rcode).toBe('REFUSED');
    u.refused(false);
    u.servfail(false);
    expect((await query(u.address, 'web.service.consul')).rcode).toBe('NOERROR');
  });

  it('truncateUdpAt sends header and question with TC=1 over UDP, and the full answer over TCP', async () => {
    const many = Array.from({ length: 40 }, (_, i) => `10.0.1.${i}`);
    const u = await upstream({ 'big.service.consul A': { ttl: 30, data: many } }, { truncateUdpAt: 512 });
    const udp = await query(u.address, 'Big.Service.Consul', 'A', { edns: 4096, do: true });
    expect(udp).toMatchObject({ rcode: 'NOERROR', flags: { tc: true, aa: true, do: true }, answers: [], authorities: [] });
    expect(udp.questions[0]!.name).toBe('Big.Service.Consul');
    expect(udp.opt).toMatchObject({ udpPayloadSize: 1232 });
    const tcp = await query(u.address, 'Big.Service.Consul', 'A', { edns: 4096, transport: 'tcp' });
    expect(tcp.flags.tc).toBe(false);
    expect(tcp.size).toBeGreaterThan(512);
    expect(tcp.answers.map((a) => a.data)).toEqual(many);
    u.truncateUdpAt(undefined);
    expect((await query(u.address, 'big.service.consul')).answers).toHaveLength(40);
    expect([u.count(undefined, undefined, 'udp'), u.count(undefined, undefined, 'tcp')]).toEqual([2, 1]);
  });

  it('echoes OPT with UDP size 1232 and the DO bit, and sends none without it', async () => {
    const u = await upstream(table);
    const plain = await query(u.address, 'web.service.consul');
    expect(plain.opt).toBeUndefined();
    const edns = await query(u.address, 'web.service.consul', 'A', { edns: 4096, do: true, cd: true });
    expect(edns.opt).toMatchObject({ udpPayloadSize: 1232, flag_do: true });
    expect(edns.flags).toMatchObject({ cd: true, do: true });
    expect(u.queries.map((q) => [q.edns, q.do, q.cd])).toEqual([[undefined, false, false], [4096, true, true]]);
  });
});

describe('fakeUpstream onQuery hook', () => {
  it('sends the bytes the hook returns, e.g. a spoofed ID, or nothing for drop', async () => {
    const u = await upstream({ 'web.service.consul A': { ttl: 30, data: ['10.0.0.7'] } }, {
      onQuery: (q, info) => {
        const reply = info.reply();
        reply.writeUInt16BE(q.id ^ 0xffff, 0);
        return reply;
      },
    });
    const spoofed = toReply((await queryRaw(u.address, buildQuery('web.service.consul', 'A', { id: 1 })))!);
    expect(spoofed.id).toBe(0xfffe);
    expect(spoofed.answers[0]).toMatchObject({ data: '10.0.0.7' });
    u.onQuery = (_q, info) => (info.transport === 'udp' ? 'drop' : undefined);
    expect(await queryRaw(u.address, buildQuery('web.service.consul'), { timeout: 200 })).toBeUndefined();
    expect((await query(u.address, 'web.service.consul', 'A', { transport: 'tcp' })).answers).toHaveLength(1);
    u.onQuery = () => Buffer.from('not dns');
    expect((await queryRaw(u.address, buildQuery('web.service.consul')))!.toString()).toBe('not dns');
  });
});

describe('fakeUpstream wire handling', () => {
  it('answers FORMERR to an undecodable query and stays silent to a response', async () => {
    const u = await upstream();
    const header = Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]); // QDCOUNT 1, no question
    const formerr = toReply((await queryRaw(u.address, header))!);
    expect(formerr).toMatchObject({ id: 0x1234, rcode: 'FORMERR', questions: [] });
    const response = buildQuery('x.example');
    response[2]! |= 0x80;
    expect(await queryRaw(u.address, response, { timeout: 200 })).toBeUndefined();
    expect(u.queries).toHaveLength(0);
  });

  it('answers pipelined TCP queries and a query split across chunks, counting connections', async () => {
    const u = await upstream({ 'a.example A': { ttl: 1, data: ['10.0.0.1'] }, 'b.example A': { ttl: 1, data: ['10.0.0.2'] } });
    const session = await tcpSession(u.address);
    onTestFinished(() => session.close());
    session.send(buildQuery('a.example', 'A', { id: 1 }), buildQuery('b.example', 'A', { id: 2 }), buildQuery('c.example', 'A', { id: 3 }));
    const replies = [await session.next(), await session.next(), await session.next()];
    expect(replies.map((r) => [r.id, r.rcode, r.answers[0]?.data])).toEqual([
      [1, 'NOERROR', '10.0.0.1'], [2, 'NOERROR', '10.0.0.2'], [3, 'NXDOMAIN', undefined]]);
    const framed = frame(buildQuery('b.example', 'A', { id: 4 }));
    for (const piece of [framed.subarray(0, 1), framed.subarray(1, 9), framed.subarray(9)]) {
      session.write(piece);
      await new Promise((resolve) => setTimeout(resolve, 20)); // separate segments
    }
    expect((await session.next()).id).toBe(4);
    expect(u.tcpConnections).toBe(1);
    expect(u.count(undefined, undefined, 'tcp')).toBe(4);
  });

  it('counts queries by name, type and transport, and reset clears the counters only', async () => {
    const u = await upstream({ 'web.service.consul A': { ttl: 30, data: ['10.0.0.7'] } }, { servfail: true });
    await query(u.address, 'Web.Service.Consul', 'A', { id: 11 });
    await query(u.address, 'web.service.consul', 'AAAA');
    await query(u.address, 'web.service.consul', 'A', { transport: 'tcp' });
    expect(u.queries[0]).toMatchObject({ name: 'Web.Service.Consul', type: 'A', transport: 'udp', id: 11, rd: true });
    expect(u.queries[0]!.time).toBeGreaterThan(0);
    expect([u.count(), u.count('WEB.service.consul'), u.count('web.service.consul', 'A'), u.count('web.service.consul', 'A', 'tcp')])
      .toEqual([3, 3, 2, 1]);
    expect(u.count('other.consul')).toBe(0);
    expect(u.tcpConnections).toBe(1);
    const seen = u.queries;
    u.reset();
    expect([seen.length, u.count(), u.tcpConnections]).toEqual([0, 0, 0]);
    expect((await query(u.address, 'web.service.consul')).rcode).toBe('SERVFAIL');
  });

  it('close ends open TCP connections, and a second close is harmless', async () => {
    const u = await fakeUpstream({}, { blackhole: true });
    const session = await tcpSession(u.address);
    session.send(buildQuery('x.example'));
    await u.close();
    await session.closed;
    await expect(session.next()).rejects.toThrow(/closed before a reply/);
    await u.close();
    await expect(tcpSession(u.address)).rejects.toThrow(/ECONNREFUSED/);
  });
});
