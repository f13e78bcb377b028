import { buildQuery, dig, fakeUpstream, freePort, kdig, parseDigAnswer, query, tcpSession } from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startDnsmesh } from './dnsmesh-process.js';

async function upstreamAndServer() {
  const upstream = await fakeUpstream({
    'web.svc.test A': { ttl: 30, data: ['10.0.0.7', '10.0.0.8'] },
    'www.svc.test CNAME': { ttl: 60, data: ['web.svc.test'] },
  }, { soa: { zone: 'svc.test', ttl: 60, minimum: 30 } });
  onTestFinished(() => upstream.close());
  const port = await freePort();
  const server = await startDnsmesh(`svc.test.:${port} {\n  bind 127.0.0.1\n  forward . ${upstream.address}\n}\n`);
  return { upstream, port, server, address: `127.0.0.1:${port}` };
}

describe('dnsmesh forwarding', () => {
  it('answers A and CNAME through forward to dig, kdig and the project client', async () => {
    const { port, address } = await upstreamAndServer();
    const a = parseDigAnswer(await dig([`@127.0.0.1`, '-p', String(port), 'web.svc.test', 'A']));
    expect(a.status).toBe('NOERROR');
    expect(a.flags).toContain('ra');
    expect(a.answers.map((r) => r.data).sort()).toEqual(['10.0.0.7', '10.0.0.8']);
    const cname = parseDigAnswer(await kdig([`@127.0.0.1`, '-p', String(port), 'www.svc.test', 'A']));
    expect(cname.answers.map((r) => r.type)).toEqual(['CNAME', 'A', 'A']);
    const reply = await query(address, 'www.svc.test', 'A', { edns: 1232 });
    expect(reply.answers[0]).toMatchObject({ type: 'CNAME', data: 'web.svc.test' });
  });

  it('forwards to IPv6 and IPv4-mapped upstreams ([::1], [::ffff:127.0.0.1]) over UDP and TCP, as to IPv4 ones', async () => {
    const zone = { 'web.svc.test A': { ttl: 30, data: ['10.0.0.7'] } };
    const v6 = await fakeUpstream(zone, { host: '::1' });
    const v4 = await fakeUpstream(zone);
    onTestFinished(async () => { await v6.close(); await v4.close(); });
    const [port6, port4] = [await freePort(), await freePort()];
    const block = (port: number, to: string) => `svc.test.:${port} {\n  bind 127.0.0.1\n  forward . ${to}\n}\n`;
    await startDnsmesh(block(port6, v6.address) + block(port4, `[::ffff:127.0.0.1]:${v4.port}`));
    expect(v6.address).toBe(`[::1]:${v6.port}`);
    for (const [port, up] of [[port6, v6], [port4, v4]] as const) {
      for (const transport of ['udp', 'tcp'] as const) {
        const reply = await query(`127.0.0.1:${port}`, 'web.svc.test', 'A', { transport, timeout: 3000 });
        expect([port, transport, reply.rcode, reply.answers.map((r) => r.data)]).toEqual([port, transport, 'NOERROR', ['10.0.0.7']]);
        expect(up.count('web.svc.test', 'A', transport)).toBe(1);
      }
    }
  });

  it("echoes the client's ID and the question's case", async () => {
    const { address } = await upstreamAndServer();
    const reply = await query(address, 'WeB.SvC.TeSt', 'A', { id: 31337 });
    expect(reply.id).toBe(31337);
    expect(reply.questions[0]!.name).toBe('WeB.SvC.TeSt');
    expect(reply.answers).toHaveLength(2);
  });

  it('answers REFUSED outside every zone without asking upstream', async () => {
    const { upstream, port } = await upstreamAndServer();
    const out = parseDigAnswer(await dig([`@127.0.0.1`, '-p', String(port), 'example.com', 'A']));
    expect(out.status).toBe('REFUSED');
    expect(upstream.queries).toHaveLength(0);
  });

  it('answers over TCP, several pipelined queries on one connection (kdig +tcp, and a session)', async () => {
    const { port } = await upstreamAndServer();
    const out = parseDigAnswer(await kdig([`@127.0.0.1`, '-p', String(port), '+tcp', 'web.svc.test', 'A']));
    expect(out.answers).toHaveLength(2);
    const session = await tcpSession({ host: '127.0.0.1', port });
    onTestFinished(() => session.close());
    session.send(...[1, 2, 3, 4, 5].map((id) => buildQuery(id % 2 ? 'web.svc.test' : 'www.svc.test', 'A', { id })));
    const replies = await Promise.all([1, 2, 3, 4, 5].map(() => session.next(3000)));
    expect(replies.map((r) => r.id).sort()).toEqual([1, 2, 3, 4, 5]);
    for (const r of replies) expect(r.answers.length).toBeGreaterThanOrEqual(2);
  });
});
