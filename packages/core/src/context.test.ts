import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { QueryContext } from './context.js';
import { DnsMessage } from './message.js';
import type { ServerBlock } from './block.js';

function context(): QueryContext {
  const bytes = dnsPacket.encode({ type: 'query', id: 1, flags: 0x0100, questions: [{ type: 'A', name: 'a.test' }] });
  return new QueryContext(new DnsMessage(bytes), { address: '127.0.0.1', port: 5353, transport: 'udp', family: 4 }, {} as ServerBlock, 0);
}

describe('QueryContext abort listeners', () => {
  it('calls each listener once, in the order they came, when the query is aborted', () => {
    const ctx = context();
    const calls: string[] = [];
    ctx.addAbortListener(() => calls.push('a'));
    const off = ctx.onAbort(() => calls.push('b'));
    ctx.addAbortListener(() => calls.push('c'));
    expect(typeof off).toBe('function');
    ctx.abort('shutdown');
    ctx.abort('again');
    expect(calls).toEqual(['a', 'b', 'c']);
  });

  it('forgets a removed listener, the first one (kept in a field) as well as later ones', () => {
    const ctx = context();
    const calls: string[] = [];
    const a = (): void => { calls.push('a'); };
    const b = (): void => { calls.push('b'); };
    ctx.addAbortListener(a);
    ctx.removeAbortListener(a);
    ctx.addAbortListener(b);
    const offC = ctx.onAbort(() => calls.push('c'));
    ctx.addAbortListener(() => calls.push('d'));
    offC();
    ctx.removeAbortListener(b);
    ctx.abort();
    expect(calls).toEqual(['d']);
  });

  it('calls a listener at once when the query is already aborted', () => {
    const ctx = context();
    ctx.abort();
    const calls: string[] = [];
    ctx.addAbortListener(() => calls.push('late'));
    ctx.onAbort(() => calls.push('later'));
    expect(calls).toEqual(['late', 'later']);
  });
});
