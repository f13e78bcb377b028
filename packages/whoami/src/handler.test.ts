import { createServer } from '@dnsmesh/core';
import { directiveOf, loadReadmeExamples, loadWith, query, type DnsRecord } from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import whoamiDef, { whoami } from './index.js';

async function server() {
  const s = await createServer({ zones: ['example.org.'], port: 0, plugins: [whoami()] }).start();
  onTestFinished(() => s.stop(0));
  return s;
}

const ORDER = ['prometheus', 'log', 'errors', 'loop', 'chaos', 'whoami', 'minimal', 'cache', 'forward'];

describe('whoami', () => {
  it("answers with the client's address and UDP port in additional, TTL 0, authoritative", async () => {
    const s = await server();
    const reply = await query(s.address, 'Example.org', 'A');
    expect(reply.rcode).toBe('NOERROR');
    expect(reply.flags.aa).toBe(true);
    expect(reply.answers).toEqual([]);
    const [a, srv] = reply.additionals.filter((r): r is DnsRecord => r.type !== 'OPT');
    expect(a).toMatchObject({ name: 'Example.org', type: 'A', ttl: 0, data: '127.0.0.1' });
    expect(srv).toMatchObject({ name: '_udp.Example.org', type: 'SRV', ttl: 0 });
    const data = srv!.data as { port: number; target: string };
    expect(data.target).toBe('Example.org');
    expect(data.port).toBeGreaterThan(0);
  });

  it('says _tcp over TCP', async () => {
    const s = await server();
    const reply = await query(s.address, 'example.org', 'A', { transport: 'tcp' });
    expect(reply.additionals.map((r) => r.name)).toContain('_tcp.example.org');
  });

  it('takes no arguments', () => {
    expect(() => whoamiDef.parse(directiveOf('whoami x'), undefined as never)).toThrow('Corefile:2 - whoami: takes no arguments, got 1');
  });

  it('loads every example of the README', async () => {
    const examples = await loadReadmeExamples(new URL('../README.md', import.meta.url), (text) => loadWith(text, [whoamiDef], ORDER));
    expect(examples.length).toBeGreaterThan(0);
    for (const plugins of examples) expect(plugins).toContain('whoami');
  });
});
