// Access and abuse through the real dnsmesh binary: the default access policy, acl, any and
// ratelimit, asked by dig, kdig and the project's client. Every client here is on loopback (no
// other source address can be used in a test): the policy for other addresses is tested in
// packages/acl with addresses given directly.
import { request as httpRequest } from 'node:http';
import { buildQuery, dig, fakeUpstream, freePort, kdig, parseDigAnswer, query, queryRaw } from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startDnsmesh } from './dnsmesh-process.js';

async function serve(directives: string) {
  const upstream = await fakeUpstream({ 'web.svc.test A': { ttl: 30, data: ['10.0.0.7'] } }, { soa: { zone: 'svc.test', ttl: 60, minimum: 30 } });
  onTestFinished(() => upstream.close());
  const port = await freePort();
  const metricsPort = await freePort();
  const server = await startDnsmesh(
    `svc.test.:${port} {\n  bind 127.0.0.1\n  prometheus 127.0.0.1:${metricsPort}\n${directives}\n  forward . ${upstream.address}\n}\n`,
  );
  const metrics = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  return { upstream, port, server, address: `127.0.0.1:${port}`, metrics };
}

const digAt = (port: number, ...args: string[]) => dig(['@127.0.0.1', '-p', String(port), ...args]);

describe('access without acl (the default policy)', () => {
  it('answers a loopback client, counts it allowed, logs nothing about it', async () => {
    const { port, server, metrics } = await serve('');
    const a = parseDigAnswer(await digAt(port, 'web.svc.test', 'A'));
    expect(a.status).toBe('NOERROR');
    expect(a.answers.map((r) => r.data)).toEqual(['10.0.0.7']);
    const k = parseDigAnswer(await kdig(['@127.0.0.1', '-p', String(port), '+tcp', 'web.svc.test', 'A']));
    expect(k.answers.map((r) => r.data)).toEqual(['10.0.0.7']);
    const text = await metrics();
    expect(text).toMatch(/dnsmesh_acl_allowed_requests_total\{server="dns:\/\/127\.0\.0\.1:\d+"\} 2/);
    expect(text).toMatch(/dnsmesh_acl_blocked_requests_total\{server="dns:\/\/127\.0\.0\.1:\d+",zone="svc\.test\."\} 0/);
    expect(server.stdout + server.stderr).not.toContain('refused a client');
  });

  it('answers ANY over UDP with the RFC 8482 HINFO without asking upstream; over TCP it is forwarded', async () => {
    const { port, upstream, metrics } = await serve('');
    // dig (9.18) asks ANY over TCP unless told +notcp.
    const out = parseDigAnswer(await digAt(port, '+notcp', 'web.svc.test', 'ANY'));
    expect(out.status).toBe('NOERROR');
    expect(out.answers).toEqual([expect.objectContaining({ name: 'web.svc.test.', type: 'HINFO', ttl: 8482, data: '"RFC8482" ""' })]);
    expect(upstream.queries).toHaveLength(0);
    expect(parseDigAnswer(await digAt(port, 'web.svc.test', 'ANY')).answers.map((r) => r.type)).not.toContain('HINFO');
    expect(upstream.queries.map((q) => `${q.type} ${q.transport}`)).toEqual(['ANY tcp']); // forward asks over the client's transport
    expect(await metrics()).toMatch(/dnsmesh_any_answered_total\{server="[^"]+",scope="udp"\} 1/);
  });
});

describe('queries without RD (norec)', () => {
  it('are REFUSED by default, and nothing is asked upstream (no cache snooping)', async () => {
    const { port, upstream } = await serve('  cache');
    expect(parseDigAnswer(await digAt(port, 'web.svc.test', 'A')).answers).toHaveLength(1);
    expect(parseDigAnswer(await digAt(port, '+norec', 'web.svc.test', 'A')).status).toBe('REFUSED');
    expect(parseDigAnswer(await digAt(port, '+norec', 'other.svc.test', 'A')).status).toBe('REFUSED');
    expect(upstream.queries).toHaveLength(1);
  });

  it('are answered from the cache only with `norec cache`', async () => {
    const { port, upstream, metrics } = await serve('  norec cache\n  cache');
    expect(parseDigAnswer(await digAt(port, '+norec', 'web.svc.test', 'A')).status).toBe('REFUSED');
    await digAt(port, 'web.svc.test', 'A');
    const cached = parseDigAnswer(await kdig(['@127.0.0.1', '-p', String(port), '+norec', 'web.svc.test', 'A']));
    expect(cached.status).toBe('NOERROR');
    expect(cached.answers.map((r) => r.data)).toEqual(['10.0.0.7']);
    expect(upstream.queries).toHaveLength(1);
    expect(await metrics()).toMatch(/dnsmesh_norec_passed_total\{server="[^"]+",mode="cache"\} 1/);
  });
});

describe('acl', () => {
  it('refuses dig and kdig from loopback with `block net 127.0.0.0/8`, with EDE 18, asking nothing upstream', async () => {
    const { port, upstream, metrics } = await serve('  acl {\n    block net 127.0.0.0/8\n  }');
    const out = await digAt(port, 'web.svc.test', 'A');
    expect(parseDigAnswer(out).status).toBe('REFUSED');
    expect(out).toMatch(/EDE: 18 \(Prohibited\)/);
    const k = await kdig(['@127.0.0.1', '-p', String(port), '+tcp', 'web.svc.test', 'A']);
    expect(parseDigAnswer(k).status).toBe('REFUSED');
    expect(upstream.queries).toHaveLength(0);
    expect(await metrics()).toMatch(/dnsmesh_acl_blocked_requests_total\{server="[^"]+",zone="svc\.test\."\} 2/);
  });

  it('opens with `allow net *`; filters AAAA to NODATA; drops a type with no reply', async () => {
    const { port, address, upstream } = await serve('  acl {\n    filter type AAAA\n    drop type TXT\n    allow net *\n  }');
    expect(parseDigAnswer(await digAt(port, 'web.svc.test', 'A')).answers).toHaveLength(1);
    const aaaa = parseDigAnswer(await digAt(port, 'web.svc.test', 'AAAA'));
    expect(aaaa.status).toBe('NOERROR');
    expect(aaaa.answers).toEqual([]);
    expect(await queryRaw(address, buildQuery('web.svc.test', 'TXT'), { timeout: 500 })).toBeUndefined();
    expect(await queryRaw(address, buildQuery('web.svc.test', 'TXT'), { transport: 'tcp', timeout: 500 })).toBeUndefined();
    expect(upstream.queries.map((q) => q.type)).toEqual(['A']);
  });

  it('with the any directive, ANY gets the minimal answer over UDP and TCP', async () => {
    const { port, upstream } = await serve('  any\n  acl {\n    allow net 127.0.0.1\n    block\n  }');
    for (const transport of ['+notcp', '+tcp']) {
      const out = parseDigAnswer(await digAt(port, transport, 'web.svc.test', 'ANY'));
      expect(out.answers.map((r) => r.type)).toEqual(['HINFO']);
    }
    expect(upstream.queries).toHaveLength(0);
  });
});

describe('ratelimit', () => {
  it('past the burst, a slipped TC=1 reply sends dig over TCP, where it gets its answer', async () => {
    const { port, address, metrics } = await serve('  ratelimit 1 {\n    burst 2\n    slip 1\n  }');
    for (let i = 0; i < 2; i++) expect((await query(address, 'web.svc.test', 'A')).answers).toHaveLength(1);
    // The bucket refills one token a second: empty it again right before each dig (these get TC or an answer).
    const drain = () => Promise.all([1, 2, 3].map(() => query(address, 'web.svc.test', 'A')));
    await drain();
    const out = await digAt(port, 'web.svc.test', 'A');
    expect(out).toContain('Truncated, retrying in TCP mode');
    expect(parseDigAnswer(out).answers.map((r) => r.data)).toEqual(['10.0.0.7']);
    await drain();
    const raw = parseDigAnswer(await digAt(port, '+ignore', 'web.svc.test', 'A'));
    expect(raw.flags).toContain('tc');
    expect(raw.answers).toEqual([]);
    const text = await metrics();
    const slipped = Number(/dnsmesh_ratelimit_slipped_total\{server="[^"]+"\} (\d+)/.exec(text)?.[1]);
    expect(slipped).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/dnsmesh_ratelimit_dropped_total\{server="[^"]+"\} 0/);
  });
});

describe('admin', () => {
  /** An HTTP request with the headers as given (fetch will not send a Host of our choosing). */
  function call(port: number, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, method, headers, setHost: headers.host === undefined }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => { body += d; }).on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('takes its token from the environment and refuses whatever lacks it, or comes with a foreign Host or Origin', async () => {
    const token = 'env-token-for-the-admin-test-0123';
    process.env.DNSMESH_TEST_ADMIN_TOKEN = token;
    onTestFinished(() => { delete process.env.DNSMESH_TEST_ADMIN_TOKEN; });
    const adminPort = await freePort();
    const { address, metrics } = await serve(`  admin :${adminPort} {\n    token {$DNSMESH_TEST_ADMIN_TOKEN}\n  }\n  cache`);
    await query(address, 'web.svc.test', 'A');
    const auth = { authorization: `Bearer ${token}` };
    expect((await call(adminPort, '/cache')).status).toBe(401);
    expect((await call(adminPort, '/cache/flush', 'POST')).status).toBe(401);
    expect((await call(adminPort, '/cache/flush', 'POST', { ...auth, host: `rebind.example:${adminPort}` })).status).toBe(403);
    expect((await call(adminPort, '/cache/flush', 'POST', { ...auth, origin: 'http://evil.example' })).status).toBe(403);
    const dump = await call(adminPort, '/cache', 'GET', auth);
    expect(dump.status).toBe(200);
    expect(dump.body).toContain('"name":"web.svc.test"');
    const flush = await call(adminPort, '/cache/flush', 'POST', { ...auth, host: `localhost:${adminPort}` });
    expect(JSON.parse(flush.body)).toEqual({ flushed: 1 });
    const text = await metrics();
    expect(text).toMatch(/dnsmesh_admin_refused_total\{server="[^"]+",reason="token"\} 2/);
    expect(text).toMatch(/dnsmesh_admin_refused_total\{server="[^"]+",reason="host"\} 1/);
    expect(text).toMatch(/dnsmesh_admin_refused_total\{server="[^"]+",reason="origin"\} 1/);
  });
});
