import { fakeUpstream, freePort, query } from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startDnsmesh } from './dnsmesh-process.js';

describe('SIGTERM', () => {
  it('answers the queries in flight, then exits 0', async () => {
    const upstream = await fakeUpstream({ 'slow.test A': { ttl: 30, data: ['192.0.2.9'] } }, { delay: 600 });
    onTestFinished(() => upstream.close());
    const port = await freePort();
    const server = await startDnsmesh(`test.:${port} {\n  bind 127.0.0.1\n  forward . ${upstream.address}\n}\n`);
    const pending = query(`127.0.0.1:${port}`, 'slow.test', 'A', { timeout: 3000 });
    await new Promise((r) => setTimeout(r, 150));
    const code = server.stop('SIGTERM');
    const reply = await pending;
    expect(reply.answers[0]).toMatchObject({ data: '192.0.2.9' });
    expect(await code).toBe(0);
  });
});
