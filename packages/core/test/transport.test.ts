import { query } from '@dnsmesh/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, DnsMessage, type DnsServer, type Plugin } from '../src/index.js';

let server: DnsServer | undefined;
afterEach(async () => { await server?.stop(); server = undefined; });

const sync: Plugin = { name: 'sync', handle: (ctx) => DnsMessage.fromPacket({ type: 'response', id: 0, flags: 0x8400, questions: [{ name: ctx.request.question!.name, type: 'A' }], answers: [{ name: ctx.request.question!.name, type: 'A', ttl: 9, data: '192.0.2.7' }] }) };
const later: Plugin = { name: 'later', handle: (ctx, next) => new Promise((resolve) => setTimeout(() => resolve(next(ctx) as DnsMessage), 30)) };

describe('UDP transport', () => {
  // The suite runs twice: with the batched addon (CI builds it) and with DNSMESH_UDP_BATCH=0.
  const expected = process.env.DNSMESH_UDP_BATCH === '0' ? 'dgram' : 'batch';

  it(`uses the ${expected} transport here`, async () => {
    server = await createServer({ plugins: [sync] }).start();
    expect(server.udpTransport).toBe(expected);
  });

  it('answers synchronous and asynchronous queries alike, each with its own ID and case, under a burst', async () => {
    server = await createServer({ blocks: [{ zones: ['now.test.'], plugins: [sync] }, { zones: ['later.test.'], plugins: [later, sync] }] }).start();
    const names = Array.from({ length: 300 }, (_, i) => (i % 2 ? `Q${i}.Now.Test` : `q${i}.LATER.test`));
    const replies = await Promise.all(names.map((n, i) => query(server!.address, n, 'A', { id: i + 1, edns: 1232 })));
    replies.forEach((r, i) => {
      expect(r.id).toBe(i + 1);
      expect(r.questions[0]!.name).toBe(names[i]);
      expect(r.answers[0]).toMatchObject({ data: '192.0.2.7' });
    });
  });

  it("can be forced to Node's dgram", async () => {
    const s = createServer({ plugins: [sync] });
    s.udp = 'dgram';
    server = await s.start();
    expect(server.udpTransport).toBe('dgram');
    expect((await query(server.address, 'x.test', 'A')).answers).toHaveLength(1);
  });
});
