import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeUpstream, freePort, query } from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startDnsmesh, type Running } from './dnsmesh-process.js';

async function waitFor(r: Running, pattern: RegExp, timeout = 8000): Promise<void> {
  const until = Date.now() + timeout;
  while (!pattern.test(r.stdout)) { // the log: server messages on stdout, with the query log
    if (Date.now() > until) throw new Error(`no ${pattern} in the log:\n${r.stdout}\n${r.stderr}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

describe('reload', () => {
  it('keeps the running config on a broken Corefile, takes a good one without dropping queries, and keeps the cache', async () => {
    const one = await fakeUpstream({ 'a.svc.test A': { ttl: 300, data: ['10.0.0.1'] }, 'b.svc.test A': { ttl: 300, data: ['10.0.0.2'] } });
    const two = await fakeUpstream({ 'b.svc.test A': { ttl: 300, data: ['10.9.9.9'] }, 'x.other.test A': { ttl: 300, data: ['10.8.8.8'] } });
    onTestFinished(async () => { await one.close(); await two.close(); });
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const server = await startDnsmesh(`svc.test.:${port} {\n  bind 127.0.0.1\n  cache\n  forward . ${one.address}\n}\n`);
    expect((await query(address, 'a.svc.test', 'A')).answers[0]!.data).toBe('10.0.0.1');

    // A broken Corefile: logged with FILE:LINE, the old one keeps answering.
    writeFileSync(join(server.dir, 'Corefile'), `svc.test.:${port} {\n  bind 127.0.0.1\n  cache 0\n}\n`);
    server.child.kill('SIGHUP');
    await waitFor(server, /reload failed.*Corefile:3 - cache/);
    expect((await query(address, 'b.svc.test', 'A')).answers[0]!.data).toBe('10.0.0.2');

    // A good one, with queries flowing all the while: none is lost.
    let stop = false;
    let answered = 0;
    const load = (async () => {
      while (!stop) {
        const r = await query(address, 'a.svc.test', 'A', { timeout: 2000 });
        expect(r.rcode).toBe('NOERROR');
        answered++;
      }
    })();
    writeFileSync(join(server.dir, 'Corefile'),
      `svc.test.:${port} {\n  bind 127.0.0.1\n  cache\n  forward . ${two.address}\n}\nother.test.:${port} {\n  bind 127.0.0.1\n  forward . ${two.address}\n}\n`);
    server.child.kill('SIGHUP');
    await waitFor(server, /"msg":"reloaded"/);
    await new Promise((r) => setTimeout(r, 200));
    stop = true;
    await load;
    expect(answered).toBeGreaterThan(5);
    // The cache survived: a.svc.test and b.svc.test are still the first upstream's answers...
    expect((await query(address, 'b.svc.test', 'A')).answers[0]!.data).toBe('10.0.0.2');
    expect(two.count('b.svc.test')).toBe(0);
    // ...and the new block answers on the same listener.
    expect((await query(address, 'x.other.test', 'A')).answers[0]!.data).toBe('10.8.8.8');
    expect(one.count('a.svc.test')).toBe(1);
  });

  it('the reload directive picks up a changed Corefile by itself', async () => {
    const one = await fakeUpstream({ 'a.svc.test A': { ttl: 300, data: ['10.0.0.1'] } });
    const two = await fakeUpstream({ 'a.svc.test A': { ttl: 300, data: ['10.9.9.9'] } });
    onTestFinished(async () => { await one.close(); await two.close(); });
    const port = await freePort();
    const server = await startDnsmesh(`svc.test.:${port} {\n  bind 127.0.0.1\n  reload 2s 1s\n  forward . ${one.address}\n}\n`);
    expect((await query(`127.0.0.1:${port}`, 'a.svc.test', 'A')).answers[0]!.data).toBe('10.0.0.1');
    writeFileSync(join(server.dir, 'Corefile'), `svc.test.:${port} {\n  bind 127.0.0.1\n  reload 2s 1s\n  forward . ${two.address}\n}\n`);
    await waitFor(server, /"msg":"reloaded"/, 6000);
    expect((await query(`127.0.0.1:${port}`, 'a.svc.test', 'A')).answers[0]!.data).toBe('10.9.9.9');
  });

  it('SIGUSR1 writes a cache summary to the log', async () => {
    const one = await fakeUpstream({ 'a.svc.test A': { ttl: 300, data: ['10.0.0.1'] } });
    onTestFinished(() => one.close());
    const port = await freePort();
    const server = await startDnsmesh(`svc.test.:${port} {\n  bind 127.0.0.1\n  cache\n  forward . ${one.address}\n}\n`);
    await query(`127.0.0.1:${port}`, 'a.svc.test', 'A');
    await query(`127.0.0.1:${port}`, 'a.svc.test', 'A');
    server.child.kill('SIGUSR1');
    await waitFor(server, /cache summary/);
    const line = JSON.parse(server.stdout.split('\n').find((l) => l.includes('cache summary'))!);
    expect(line).toMatchObject({ entries: 1, hits: 1, misses: 1 });
  });
});
