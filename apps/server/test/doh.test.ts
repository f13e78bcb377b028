import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildQuery, dig, fakeUpstream, freePort, makeCertificates, parseDigAnswer, toReply } from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startDnsmesh } from './dnsmesh-process.js';

/** Runs the real curl against 127.0.0.1 only (--resolve pins the name), with a deadline. */
function curl(args: string[]): Promise<{ stdout: string; code: number }> {
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/curl', ['-s', '--max-time', '5', ...args], { timeout: 10_000, encoding: 'utf8' }, (err, stdout) => {
      if (err !== null && typeof err.code !== 'number') { reject(err); return; }
      resolve({ stdout, code: err === null ? 0 : Number(err.code) });
    });
  });
}

async function setup() {
  const c = makeCertificates();
  onTestFinished(() => c.remove());
  const up = await fakeUpstream({ 'web.svc.test A': { ttl: 300, data: ['10.0.0.7'] } });
  onTestFinished(() => up.close());
  const [doh, prom] = [await freePort(), await freePort()];
  const server = await startDnsmesh(`https://.:${doh} {\n  bind 127.0.0.1\n  tls ${c.cert} ${c.key}\n  prometheus 127.0.0.1:${prom}\n  cache\n  forward . ${up.address}\n}\n`);
  const base = `https://${c.hostname}:${doh}/dns-query`;
  const pin = ['--cacert', c.ca, '--resolve', `${c.hostname}:${doh}:127.0.0.1`];
  return { c, up, doh, prom, server, base, pin };
}

describe('DNS over HTTPS listener (https://)', () => {
  it('POST application/dns-message over HTTP/2 and GET ?dns= over HTTP/1.1 (curl), and dig +https', async () => {
    const { up, doh, server, base, pin } = await setup();
    const q = join(server.dir, 'q.bin');
    const out = join(server.dir, 'r.bin');
    writeFileSync(q, buildQuery('web.svc.test', 'A', { id: 0 }));
    const post = await curl([...pin, '--http2', '-H', 'content-type: application/dns-message', '--data-binary', `@${q}`, '-o', out, '-w', '%{http_version} %{http_code} %{content_type}', base]);
    expect(post.stdout).toBe('2 200 application/dns-message');
    const reply = toReply(readFileSync(out));
    expect(reply.rcode).toBe('NOERROR');
    expect(reply.answers.map((a) => a.data)).toEqual(['10.0.0.7']);

    const dns = buildQuery('web.svc.test', 'A', { id: 0 }).toString('base64url');
    const get = await curl([...pin, '--http1.1', '-o', out, '-D', '-', '-w', '%{http_version} %{http_code}', `${base}?dns=${dns}`]);
    expect(get.stdout).toMatch(/cache-control: max-age=\d+/i);
    expect(get.stdout).toMatch(/1\.1 200$/);
    expect(toReply(readFileSync(out)).answers.map((a) => a.data)).toEqual(['10.0.0.7']);

    const d = parseDigAnswer(await dig(['@127.0.0.1', '-p', String(doh), '+https', 'web.svc.test', 'A']));
    expect(d.status).toBe('NOERROR');
    expect(d.answers.map((a) => a.data)).toEqual(['10.0.0.7']);
    expect(up.count('web.svc.test')).toBe(1);   // the rest came from the block's cache
  });

  it('answers bad requests with HTTP errors, not DNS ones', async () => {
    const { base, pin, server } = await setup();
    const status = async (args: string[]) => (await curl([...pin, '-o', '/dev/null', '-w', '%{http_code}', ...args])).stdout;
    expect(await status([`${base.replace('/dns-query', '/other')}`])).toBe('404');
    expect(await status([`${base}`])).toBe('400');                               // GET without ?dns=
    expect(await status([`${base}?dns=***`])).toBe('400');
    expect(await status(['-H', 'content-type: text/plain', '--data-binary', 'x', base])).toBe('415');
    expect(await status(['-X', 'PUT', base])).toBe('405');
    const q = join(server.dir, 'short.bin');
    writeFileSync(q, Buffer.from([0, 0, 1]));
    expect(await status(['-H', 'content-type: application/dns-message', '--data-binary', `@${q}`, base])).toBe('400');
    // A malformed query whose header reads gets a DNS FORMERR, in a 200.
    const formerr = join(server.dir, 'formerr.bin');
    const bad = buildQuery('web.svc.test', 'A', { id: 0 });
    bad.writeUInt16BE(2, 4); // QDCOUNT 2 with one question
    writeFileSync(formerr, bad);
    const out = join(server.dir, 'r.bin');
    const r = await curl([...pin, '-o', out, '-w', '%{http_code}', '-H', 'content-type: application/dns-message', '--data-binary', `@${formerr}`, base]);
    expect(r.stdout).toBe('200');
    expect(toReply(readFileSync(out)).rcode).toBe('FORMERR');
  });

  it('counts connections on the port like TCP (dnsmesh_tcp_accepted_total)', async () => {
    const { doh, prom, base, pin } = await setup();
    const dns = buildQuery('web.svc.test', 'A', { id: 0 }).toString('base64url');
    for (let i = 0; i < 3; i++) expect((await curl([...pin, '-o', '/dev/null', '-w', '%{http_code}', `${base}?dns=${dns}`])).stdout).toBe('200');
    const metrics = await (await fetch(`http://127.0.0.1:${prom}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`dnsmesh_tcp_accepted_total\\{port="${doh}"\\} 3\\b`));
  });
});
