import dnsPacket from 'dns-packet';
import pino from 'pino';
import { Registry } from 'prom-client';
import 'reflect-metadata';
import { container } from 'tsyringe';
import { describe, expect, it } from 'vitest';
import { ServerBlock } from '../block.js';
import { QueryContext } from '../context.js';
import { DnsMessage } from '../message.js';
import { manualClock } from '../units.js';
import { fromUpstream } from './reply.js';

const block = new ServerBlock({ zones: ['.'], port: 53, container: container.createChildContainer(), clock: manualClock(), logger: pino({ level: 'silent' }), metrics: new Registry() });
const request = () => new DnsMessage(dnsPacket.encode({ type: 'query', id: 9, flags: 0x0100, questions: [{ name: 'A.test', type: 'A' }] }));
const ctxFor = () => new QueryContext(request(), { address: '127.0.0.1', port: 5353, transport: 'udp', family: 4 }, block, 0);
const answer = (flags: number) => new DnsMessage(Buffer.from(dnsPacket.encode({
  type: 'response', id: 9, flags, questions: [{ name: 'a.test', type: 'A' }], answers: [{ name: 'a.test', type: 'A', ttl: 60, data: '192.0.2.1' }],
})));

describe('fromUpstream', () => {
  it('clears AD unless the upstream is trusted, in the reply itself, and leaves the rest alone', () => {
    const ctx = ctxFor();
    const untrusted = fromUpstream(ctx, answer(0x85a0), '127.0.0.1:53');
    expect(untrusted.bytes.readUInt16BE(2)).toBe(0x8580);
    expect(fromUpstream(ctx, answer(0x85a0), '127.0.0.1:53', { trustAd: true }).bytes.readUInt16BE(2)).toBe(0x85a0);
    expect(ctx.state.ede).toBe(-1);
  });

  it("turns a question-less REFUSED into REFUSED with the client's question and EDE 22 naming the upstream", () => {
    const ctx = ctxFor();
    const bare = new DnsMessage(Buffer.from([0, 9, 0x81, 0x05, 0, 0, 0, 0, 0, 0, 0, 0]));
    const out = fromUpstream(ctx, bare, '127.0.0.1:5300');
    expect(out.rcode).toBe(5);
    expect(out.question?.name).toBe('A.test');
    expect(out.authoritative).toBe(false);
    expect(ctx.state.ede).toBe(22);
    expect(ctx.edeText).toBe('127.0.0.1:5300 answered REFUSED without a question');
  });
});
