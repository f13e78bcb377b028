// The command line beyond serving: usage, and -check (validate a Corefile, bind nothing, exit).
import net from 'node:net';
import { freePort } from '@dnsmesh/testkit';
import { describe, expect, it } from 'vitest';
import { run, startDnsmesh, tempFiles } from './dnsmesh-process.js';

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

describe('dnsmesh -h', () => {
  it.each([['-h'], ['-help'], ['--help']])('%s prints usage on stdout and exits 0', async (flag) => {
    const r = run([flag], tempFiles({}));
    expect(await r.exited).toBe(0);
    expect(r.stdout).toMatch(/^Usage: dnsmesh /);
    expect(r.stdout).toContain('-check');
  });

  it('an unknown flag prints the error and usage on stderr and exits 2', async () => {
    const r = run(['-frob'], tempFiles({}));
    expect(await r.exited).toBe(2);
    expect(r.stderr).toContain('unknown flag -frob');
    expect(r.stderr).toContain('Usage: dnsmesh');
  });
});

describe('dnsmesh -check', () => {
  it('says OK with the blocks it would serve, exits 0 and binds nothing', async () => {
    const port = await freePort();
    const dir = tempFiles({ Corefile: `svc.test.:${port} {\n  bind 127.0.0.1\n  cache 30\n  forward . 127.0.0.1:9\n}\n` });
    const r = run(['-conf', 'Corefile', '-check'], dir);
    expect(await r.exited).toBe(0);
    expect(r.stdout).toBe(`Corefile: OK (1 server block: svc.test.:${port})\n`);
    expect(await portIsFree(port)).toBe(true);
  });

  it('fails a bad Corefile with FILE:LINE and exit 1, binding nothing', async () => {
    const port = await freePort();
    const dir = tempFiles({ 'bad.conf': `.:${port} {\n  cache 30\n  serve_stale {\n    max_stale forever\n  }\n}\n` });
    const r = run(['-conf', 'bad.conf', '-check'], dir);
    expect(await r.exited).toBe(1);
    expect(r.stderr).toMatch(/^bad\.conf:4 - serve_stale: /m);
    expect(r.stdout).toBe('');
    expect(await portIsFree(port)).toBe(true);
  });
});

describe('the log: one stream, one format', () => {
  it('writes server messages and the query log to stdout as JSON with ISO times, or as text with -log.format text', async () => {
    const { fakeUpstream, query } = await import('@dnsmesh/testkit');
    const upstream = await fakeUpstream({ 'a.svc.test A': { ttl: 300, data: ['10.0.0.1'] } });
    try {
      for (const format of ['json', 'text'] as const) {
        const port = await freePort();
        const dir = tempFiles({ Corefile: `svc.test.:${port} {\n  bind 127.0.0.1\n  log\n  forward . ${upstream.address}\n}\n` });
        const r = run(['-conf', 'Corefile', '-log.format', format], dir);
        const until = Date.now() + 10_000;
        while (!/dnsmesh-\d/.test(r.stdout) && Date.now() < until) await new Promise((res) => setTimeout(res, 25));
        await query(`127.0.0.1:${port}`, 'a.svc.test', 'A');
        while (!r.stdout.includes('a.svc.test') && Date.now() < until) await new Promise((res) => setTimeout(res, 25));
        r.child.kill('SIGTERM');
        expect(await r.exited).toBe(0);
        const iso = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';
        if (format === 'json') {
          const lines = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
          const queryLine = lines.find((l) => l.name === 'a.svc.test');
          const serverLine = lines.find((l) => l.msg === 'stopping: draining in-flight queries');
          expect(queryLine).toMatchObject({ level: 'info', time: expect.stringMatching(new RegExp(`^${iso}$`)), rcode: 'NOERROR', cache: 'none' });
          expect(serverLine).toMatchObject({ level: 'info', time: expect.stringMatching(new RegExp(`^${iso}$`)), signal: 'SIGTERM' });
        } else {
          expect(r.stdout).toMatch(new RegExp(`^${iso} \\[INFO\\] 127\\.0\\.0\\.1:\\d+ - "A a\\.svc\\.test\\. udp" NOERROR [\\d.]+ms cache=none upstream=127\\.0\\.0\\.1:\\d+`, 'm'));
          expect(r.stdout).toMatch(new RegExp(`^${iso} \\[INFO\\] stopping: draining in-flight queries signal=SIGTERM$`, 'm'));
        }
        expect(r.stderr).toBe('');
      }
    } finally {
      await upstream.close();
    }
  });

  // Log lines go out through an asynchronous stream; the ready lines go through it too, after them.
  // Written straight to stdout they overtook the lines still buffered (the warm-up's line in flight,
  // the transport's behind it): a reader that saw `dnsmesh-VERSION` had not seen how it started.
  it('prints its ready lines after the start-up log lines: a reader that sees dnsmesh-VERSION has them all', async () => {
    const port = await freePort();
    const r = await startDnsmesh(`.:${port} {\n  bind 127.0.0.1\n  whoami\n}\n`);
    const seen = r.stdout;
    const lines = seen.split('\n');
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const warmed = at(/"msg":"warmed up: /);
    const transport = at(/"msg":"UDP: (batched transport|Node's dgram)/);
    const ready = at(/^dnsmesh-\d/);
    expect([warmed >= 0, transport >= 0], seen).toEqual([true, true]);
    expect(lines.slice(ready - 1, ready + 1), seen).toEqual([`.:${port}`, expect.stringMatching(/^dnsmesh-\d/)]);
    expect(Math.max(warmed, transport), seen).toBeLessThan(ready - 1);
  });
});
