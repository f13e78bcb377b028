import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dig, fakeUpstream, parseDigAnswer, query } from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startResolver } from '../src/index.js';

async function upstream() {
  const up = await fakeUpstream({
    'db.service.consul A': { ttl: 0, data: ['10.0.0.7'] }, // TTL 0, as Consul answers
    'api.service.consul A': { ttl: 30, data: ['10.0.0.8'] },
  }, { soa: { zone: 'service.consul', ttl: 60, minimum: 30 } });
  onTestFinished(() => up.close());
  return up;
}

describe('a resolver composed in code (recorder -> cache -> forward)', () => {
  it('forwards a miss, answers the repeat from cache, and records both', async () => {
    const up = await upstream();
    const dns = await startResolver({ upstreams: [up.address], zones: ['service.consul.'] });
    onTestFinished(() => dns.stop());

    const first = await query(dns.address, 'db.service.consul', 'A');
    const again = await query(dns.address, 'DB.service.consul', 'A');
    expect(first.answers.map((r) => r.data)).toEqual(['10.0.0.7']);
    expect(again.answers[0]).toMatchObject({ data: '10.0.0.7' });
    expect(again.answers[0]!.ttl).toBeGreaterThan(0); // TTL 0 floored at minTtl 5 by the cache
    expect(up.count('db.service.consul')).toBe(1);
    expect(dns.queries).toEqual([
      { name: 'db.service.consul', type: 'A', rcode: 'NOERROR', cache: 'miss' },
      { name: 'DB.service.consul', type: 'A', rcode: 'NOERROR', cache: 'hit' },
    ]);
    const nx = await query(dns.address, 'nope.service.consul', 'A');
    expect(nx.rcode).toBe('NXDOMAIN');
    expect((await query(dns.address, 'example.com', 'A')).rcode).toBe('REFUSED'); // outside its zones
  });

  it('runs as a Node program (dist/main.js) that dig can query', async () => {
    const up = await upstream();
    const main = fileURLToPath(new URL('../dist/main.js', import.meta.url)); // npm test builds first
    const child = spawn(process.execPath, [main, up.address], { stdio: ['ignore', 'pipe', 'pipe'] });
    onTestFinished(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no 'listening' line in 10 s: ${out}`)), 10_000);
      child.stdout.on('data', () => {
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
        if (m !== null) { clearTimeout(timer); resolve(Number(m[1])); }
      });
      child.on('exit', (code) => reject(new Error(`exited with ${code}`)));
    });
    const answer = parseDigAnswer(await dig(['@127.0.0.1', '-p', String(port), 'api.service.consul', 'A']));
    expect(answer.status).toBe('NOERROR');
    expect(answer.answers.map((r) => r.data)).toEqual(['10.0.0.8']);
    await expect.poll(() => out).toContain('api.service.consul A NOERROR cache=miss');
    child.kill('SIGTERM');
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
  });
});
