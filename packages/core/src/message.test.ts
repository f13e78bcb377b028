import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { DnsMessage } from './message.js';
import { Rcode, RRType } from './wire/constants.js';

const q = (name: string, type = 'A', extra: object = {}) =>
  new DnsMessage(dnsPacket.encode({ type: 'query', id: 42, flags: 0x0100, questions: [{ name, type }], ...extra }));

describe('DnsMessage', () => {
  it('reads header and question straight from the bytes', () => {
    const m = q('Www.Example.COM', 'AAAA');
    expect(m.id).toBe(42);
    expect(m.rd).toBe(true);
    expect(m.qr).toBe(false);
    expect(m.question).toEqual({ name: 'Www.Example.COM', lname: 'www.example.com.', type: RRType.AAAA, class: 1 });
    expect(m.questionEnd).toBe(12 + 17 + 4);
  });

  it('builds one key for any case of a name, and keeps types, DO and CD apart', () => {
    expect(q('WWW.example.com').key).toBe(q('www.EXAMPLE.com').key);
    expect(q('www.example.com', 'A').key).not.toBe(q('www.example.com', 'AAAA').key);
    const withDo = q('www.example.com', 'A', { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0x8000 }] });
    expect(withDo.do).toBe(true);
    expect(withDo.key).not.toBe(q('www.example.com').key);
    const cd = new DnsMessage(dnsPacket.encode({ type: 'query', id: 1, flags: 0x0110, questions: [{ name: 'www.example.com', type: 'A' }] }));
    expect(cd.key).not.toBe(q('www.example.com').key);
  });

  it('does not fold a type byte that looks like a letter (HTTPS is 65, "A")', () => {
    const https = q('x.test', 'HTTPS');
    const bytes = Buffer.from(https.bytes);
    bytes[https.questionEnd - 3] = 97; // same name, qtype 97 ('a')
    expect(new DnsMessage(bytes).question?.type).toBe(97);
    expect(https.key).not.toBe(new DnsMessage(bytes).key);
  });

  it('reads EDNS: size, DO, version', () => {
    const m = q('x.test', 'A', { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, flags: 0x8000 }] });
    expect(m.edns).toMatchObject({ udpSize: 4096, do: true, version: 0 });
    expect(q('x.test').edns).toBeUndefined();
  });

  it('builds a bare reply with the request question and rcode', () => {
    const reply = DnsMessage.reply(q('Mixed.Case.test'), Rcode.REFUSED);
    const d = dnsPacket.decode(reply.bytes);
    expect(d.rcode).toBe('REFUSED');
    expect(d.questions[0].name).toBe('Mixed.Case.test');
    expect(d.id).toBe(42);
  });

  it('decodes lazily with aged TTLs', () => {
    const m = new DnsMessage(dnsPacket.encode({ type: 'response', id: 1, questions: [{ name: 'a.test', type: 'A' }], answers: [{ name: 'a.test', type: 'A', ttl: 50, data: '1.2.3.4' }] }));
    m.ttlAge = 20;
    expect(m.decode().answers?.[0]?.ttl).toBe(30);
    expect(m.ttlOf(0)).toBe(30);
  });
});
