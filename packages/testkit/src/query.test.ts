import dgram from 'node:dgram';
import { describe, expect, it, onTestFinished } from 'vitest';
import * as dnsPacket from 'dns-packet';
import { buildQuery } from './build-query.js';
import { fakeUpstream } from './fake-upstream.js';
import { query, queryRaw } from './query.js';
import { toReply } from './reply.js';
import { serverAddress } from './server-address.js';
import { tcpSession } from './tcp-session.js';
import { FrameReader, frame } from './tcp-frames.js';

async function upstream() {
  const u = await fakeUpstream({ 'web.service.consul A': { ttl: 30, data: ['10.0.0.7'] } });
  onTestFinished(() => u.close());
  return u;
}

describe('buildQuery', () => {
  it('sets RD by default, CD and DO on request, and an OPT record only when asked', () => {
    const plain = dnsPacket.decode(buildQuery('Web.Service.Consul', 'srv', { id: 9 }));
    expect(plain).toMatchObject({ id: 9, flag_rd: true, flag_cd: false, questions: [{ name: 'Web.Service.Consul', type: 'SRV' }], additionals: [] });
    const opt = dnsPacket.decode(buildQuery('x.example', 'A', { rd: false, cd: true, do: true }));
    expect(opt).toMatchObject({ flag_rd: false, flag_cd: true, additionals: [{ type: 'OPT', udpPayloadSize: 1232, flag_do: true }] });
    const sized = dnsPacket.decode(buildQuery('x.example', 'A', { edns: 512, ednsOptions: [{ code: 10, data: Buffer.alloc(8, 1) }] }));
    expect(sized.additionals).toMatchObject([{ udpPayloadSize: 512, flag_do: false, options: [{ code: 10, data: Buffer.alloc(8, 1) }] }]);
  });
});

describe('query', () => {
  it('asks over UDP by default and over TCP on request, returning the decoded reply with its bytes', async () => {
    const u = await upstream();
    const udp = await query(u.address, 'web.service.consul');
    expect(udp).toMatchObject({ rcode: 'NOERROR', size: udp.raw.length, flagBits: udp.raw.readUInt16BE(2) & 0x7fff });
    expect(udp.answers[0]).toMatchObject({ ttl: 30, data: '10.0.0.7' });
    const tcp = await query({ host: '127.0.0.1', port: u.port }, 'web.service.consul', 'A', { transport: 'tcp' });
    expect(tcp.raw.equals(Buffer.concat([tcp.raw.subarray(0, 2), udp.raw.subarray(2)]))).toBe(true); // same but the ID
    expect(u.queries.map((q) => q.transport)).toEqual(['udp', 'tcp']);
  });

  it('ignores datagrams from other ports and gives undefined when nothing comes in time', async () => {
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => silent.close(() => resolve())));
    const other = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => other.bind(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => other.close(() => resolve())));
    silent.on('message', (_msg, rinfo) => other.send(Buffer.from('from elsewhere'), rinfo.port, rinfo.address));
    const addr = `127.0.0.1:${silent.address().port}`;
    expect(await queryRaw(addr, buildQuery('x.example'), { timeout: 200 })).toBeUndefined();
    await expect(query(addr, 'x.example', 'AAAA', { timeout: 200 })).rejects.toThrow(/no reply from 127\.0\.0\.1:\d+ to x\.example AAAA over udp within 200 ms/);
  });

  it('refuses any server that is not a loopback address before sending', async () => {
    await expect(query('192.0.2.1:53', 'x.example')).rejects.toThrow(/not a loopback address/);
    await expect(queryRaw({ host: 'localhost', port: 53 }, buildQuery('x.example'))).rejects.toThrow(/not a loopback address/);
    await expect(tcpSession('10.0.0.1:53')).rejects.toThrow(/not a loopback address/);
    expect(serverAddress('[::1]:5353')).toEqual({ host: '::1', port: 5353 });
    expect(() => serverAddress('127.0.0.1')).toThrow(/HOST:PORT/);
  });
});

describe('toReply', () => {
  it('reads extended rcodes and Extended DNS Errors from the OPT record', () => {
    const raw = dnsPacket.encode({
      type: 'response', id: 1, flags: 0, questions: [{ name: 'x.example', type: 'A' }],
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 1, options: [
        { code: 15, data: Buffer.concat([Buffer.from([0, 3]), Buffer.from('stale')]) }] }],
    });
    expect(toReply(raw)).toMatchObject({ rcode: 'BADVERS', ede: [{ code: 3, text: 'stale' }] });
    expect(() => toReply(Buffer.from([1, 2, 3]))).toThrow(/malformed reply \(3 bytes\)/);
  });
});

describe('tcpSession', () => {
  it('reports a reply that does not come, and the close of the connection', async () => {
    const u = await upstream();
    u.blackhole(true);
    const session = await tcpSession(u.address);
    onTestFinished(() => session.close());
    session.send(buildQuery('web.service.consul'));
    await expect(session.next(200)).rejects.toThrow(/no reply on the TCP connection to 127\.0\.0\.1:\d+ within 200 ms/);
    expect(await session.nextRaw(50)).toBeUndefined();
    await session.close();
    expect(await session.nextRaw()).toBeUndefined();
  });
});

describe('FrameReader', () => {
  it('returns whole messages however the stream is cut', () => {
    const stream = Buffer.concat([frame(Buffer.from('one')), frame(Buffer.alloc(0)), frame(Buffer.from('three'))]);
    const reader = new FrameReader();
    const got = [...stream].flatMap((byte) => reader.push(Buffer.from([byte]))).map(String);
    expect(got).toEqual(['one', '', 'three']);
    expect(new FrameReader().push(stream).map(String)).toEqual(['one', '', 'three']);
  });
});
