import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { DnsMessage } from '../message.js';
import { checkReply, SentQuery } from './match.js';

const query = dnsPacket.encode({ type: 'query', id: 0x1111, flags: 0x0100, questions: [{ name: 'a.test', type: 'A' }] });

/** A bare header reply: QR, the given ID and rcode, no question, optional counts. */
function headerOnly(id: number, rcode: number, counts: { an?: number } = {}, tail = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(id, 0);
  b.writeUInt16BE(0x8000 | rcode, 2);
  b.writeUInt16BE(counts.an ?? 0, 6);
  return Buffer.concat([b, tail]);
}

describe('checkReply', () => {
  it('accepts FORMERR, SERVFAIL, NOTIMP and REFUSED without a question (as NSD sends them), with the client ID back', () => {
    for (const rcode of [1, 2, 4, 5]) {
      const sent = new SentQuery(query, 0x2222);
      const reply = checkReply(sent, headerOnly(0x2222, rcode));
      expect(reply, `rcode ${rcode}`).toBeInstanceOf(DnsMessage);
      expect((reply as DnsMessage).id).toBe(0x1111);
      expect((reply as DnsMessage).rcode).toBe(rcode);
      expect((reply as DnsMessage).qdcount).toBe(0);
    }
  });

  it('accepts one with only an OPT in the additional section', () => {
    const sent = new SentQuery(query, 0x2222);
    const b = headerOnly(0x2222, 1, {}, Buffer.from([0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0]));
    b.writeUInt16BE(1, 10);
    expect(checkReply(sent, b)).toBeInstanceOf(DnsMessage);
  });

  it('still drops a question-less NOERROR or NXDOMAIN (they claim data about no name), one with records, and one with a wrong ID', () => {
    const sent = new SentQuery(query, 0x2222);
    for (const rcode of [0, 3]) expect(checkReply(sent, headerOnly(0x2222, rcode)), `rcode ${rcode}`).toBe('spoofed');
    const withAnswer = headerOnly(0x2222, 5, { an: 1 }, Buffer.from([0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4]));
    expect(checkReply(sent, withAnswer)).toBe('spoofed');
    expect(checkReply(sent, headerOnly(0x3333, 5))).toBe('spoofed');
    const noQr = headerOnly(0x2222, 5);
    noQr[2] = 0;
    expect(checkReply(sent, noQr)).toBe('spoofed');
  });

  it('drops a reply with another question, as before', () => {
    const sent = new SentQuery(query, 0x2222);
    const other = Buffer.from(dnsPacket.encode({ type: 'response', id: 0x2222, flags: 0x8105, questions: [{ name: 'b.test', type: 'A' }] }));
    expect(checkReply(sent, other)).toBe('spoofed');
  });
});
