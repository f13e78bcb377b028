// `dnsmesh ctl` against a real dnsmesh: status, stats, dump (filtered), flush (name, type, all),
// reload (good and bad Corefile), and the errors an operator meets (no endpoint, usage).
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fakeUpstream, freePort, query } from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { MAIN, startDnsmesh } from './dnsmesh-process.js';

const exec = promisify(execFile);

/** Runs `dnsmesh ctl ARGS`; resolves with its exit code and output, never rejects. */
async function ctl(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [MAIN, 'ctl', ...args], { env: { ...process.env, ...env }, timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('dnsmesh ctl', () => {
  it('status, stats, dump, flush and reload through the admin endpoint', async () => {
    const upstream = await fakeUpstream({
      'a.svc.test A': { ttl: 300, data: ['10.0.0.1'] },
      'a.svc.test AAAA': { ttl: 300, data: ['fd00::1'] },
      'b.svc.test A': { ttl: 300, data: ['10.0.0.2'] },
    });
    onTestFinished(() => upstream.close());
    const [port, admin] = [await freePort(), await freePort('tcp')];
    const corefile = `svc.test.:${port} {\n  bind 127.0.0.1\n  admin 127.0.0.1:${admin}\n  cache\n  forward . ${upstream.address}\n}\n`;
    const server = await startDnsmesh(corefile);
    const s = ['-s', `127.0.0.1:${admin}`];
    for (const [name, type] of [['a.svc.test', 'A'], ['a.svc.test', 'AAAA'], ['b.svc.test', 'A'], ['a.svc.test', 'A']]) {
      await query(`127.0.0.1:${port}`, name!, type);
    }

    const status = await ctl([...s, 'status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^version: dnsmesh-\d+\.\d+\.\d+ \(node v20\./m);
    expect(status.stdout).toMatch(/^config: Corefile sha512:[0-9a-f]{16}$/m);
    expect(status.stdout).toContain(`block svc.test.:${port} on 127.0.0.1 [ready]: bind admin cache forward`);
    const json = JSON.parse((await ctl([...s, '-json', 'status'])).stdout) as { pid: number; reloads: number };
    expect(json.pid).toBe(server.child.pid);

    const stats = await ctl([...s, 'stats']);
    expect(stats.stdout).toMatch(/^dnsmesh_cache_hits_total\{[^}]*type="success"[^}]*\} 1$/m);
    expect(stats.stdout).toMatch(/^dnsmesh_cache_misses_total\{[^}]*\} 3$/m);

    const dump = await ctl([...s, 'dump']);
    expect(dump.stdout.split('\n')[0]).toMatch(/^NAME\s+TYPE\s+RCODE\s+TTL\s+HITS\s+UPSTREAM$/);
    expect(dump.stdout).toContain('3 entries');
    const one = await ctl([...s, 'dump', 'a.svc.test', 'aaaa']);
    expect(one.stdout).toMatch(/^a\.svc\.test\s+AAAA\s+NOERROR\s+\d+\s+0\s+127\.0\.0\.1:\d+$/m);
    expect(one.stdout).toContain('1 entry');

    expect((await ctl([...s, 'flush', 'a.svc.test', 'A'])).stdout).toBe('flushed 1 entry\n');
    expect((await ctl([...s, 'flush', 'a.svc.test'])).stdout).toBe('flushed 1 entry\n');
    expect((await ctl([...s, 'flush', 'all'])).stdout).toBe('flushed 1 entry\n');
    expect((await ctl([...s, 'dump'])).stdout).toContain('0 entries');

    // A bad Corefile: ctl says why and exits 1; the server keeps serving the old one.
    writeFileSync(join(server.dir, 'Corefile'), corefile.replace('  cache\n', '  cache\n  cache\n'));
    const bad = await ctl([...s, 'reload']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/reload failed, the running configuration keeps serving: Corefile:5 - cache: this plugin can only be used once/);
    writeFileSync(join(server.dir, 'Corefile'), corefile);
    expect(await ctl([...s, 'reload'])).toMatchObject({ code: 0, stdout: 'reloaded\n' });
    expect((await ctl([...s, 'status'])).stdout).toContain('reloads: 1 (1 failed)');
    expect((await query(`127.0.0.1:${port}`, 'b.svc.test', 'A')).answers[0]!.data).toBe('10.0.0.2');
  }, 30_000);

  it('names what is wrong: no endpoint, unknown command, missing arguments; -h prints usage', async () => {
    const dead = await freePort('tcp');
    const none = await ctl(['-s', `127.0.0.1:${dead}`, 'status']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`cannot reach the admin endpoint at 127.0.0.1:${dead}: ECONNREFUSED`);
    expect(await ctl(['frob'])).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown command 'frob'") });
    expect(await ctl(['flush'])).toMatchObject({ code: 2, stderr: expect.stringContaining("flush needs 'all' or a NAME [TYPE]") });
    expect(await ctl(['-s', 'nope', 'status'])).toMatchObject({ code: 2, stderr: expect.stringContaining("-s takes HOST:PORT, got 'nope'") });
    const help = await ctl(['-h']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: dnsmesh ctl /);
  });
});
