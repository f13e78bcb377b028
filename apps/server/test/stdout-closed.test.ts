import { fakeUpstream, freePort, query } from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { run, startDnsmesh, tempFiles } from './dnsmesh-process.js';

/** The metrics text of a prometheus listener. */
async function metricsText(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

/** Retries `fn` until it resolves (up to 10 s). */
const eventually = <T>(fn: () => Promise<T>): Promise<T> => vi.waitFor(fn, { timeout: 10_000, interval: 100 });

async function setup(): Promise<{ corefile: string; port: number; metricsPort: number }> {
  const upstream = await fakeUpstream({ 'a.test A': { ttl: 30, data: ['192.0.2.1'] }, 'b.test A': { ttl: 30, data: ['192.0.2.2'] } });
  onTestFinished(() => upstream.close());
  const port = await freePort();
  const metricsPort = await freePort();
  const corefile = `test.:${port} {\n  bind 127.0.0.1\n  prometheus 127.0.0.1:${metricsPort}\n  log\n  forward . ${upstream.address}\n}\n`;
  return { corefile, port, metricsPort };
}

describe('a server whose stdout goes away (the reader of its pipe exits: EPIPE)', () => {
  it('keeps answering, drops and counts its log lines, says so once on stderr, and stops on SIGTERM', async () => {
    const { corefile, port, metricsPort } = await setup();
    const server = await startDnsmesh(corefile, {}, ['-warmup', '0']);
    server.child.stdout!.destroy();                      // the pipe's read end closes: the next write fails
    for (const name of ['a.test', 'b.test', 'a.test']) {
      const reply = await query(`127.0.0.1:${port}`, name, 'A', { timeout: 3000 });
      expect(reply.rcode).toBe('NOERROR');
    }
    await eventually(async () => expect(server.stderr).toMatch(/stdout failed \(EPIPE\): log lines are dropped/));
    expect(server.stderr.match(/stdout failed/g)).toHaveLength(1);
    await eventually(async () => expect(await metricsText(metricsPort)).toMatch(/^dnsmesh_log_dropped_total\{reason="closed"\} [1-9]/m));
    expect(await server.stop('SIGTERM')).toBe(0);
  });

  it('starts and serves when stdout is closed before its first line (`dnsmesh | head -0`)', async () => {
    const { corefile, port } = await setup();
    const dir = tempFiles({ Corefile: corefile });
    const server = run(['-conf', 'Corefile', '-warmup', '0'], dir);
    server.child.stdout!.destroy();
    const reply = await eventually(() => query(`127.0.0.1:${port}`, 'a.test', 'A', { timeout: 500 }));
    expect(reply.answers[0]).toMatchObject({ data: '192.0.2.1' });
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(server.stderr).not.toMatch(/Unhandled|throw er/);
  });
});
