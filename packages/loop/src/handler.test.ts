import { createServer } from '@dnsmesh/core';
import { forward } from '@dnsmesh/forward';
import { fakeUpstream, freePort } from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loop } from './index.js';
import { probeName } from './probe-name.js';

const FAST = { deadline: 10_000, interval: 1000, linger: 300 };

async function serve(to: (port: number) => string, onLoop: (message: string) => void) {
  const port = await freePort();
  const server = await createServer({
    zones: ['.'], port, bind: ['127.0.0.1'],
    plugins: [loop({ timing: FAST, onLoop }), forward({ to: [to(port)] })],
  }).start();
  onTestFinished(() => server.stop(0));
  return port;
}

describe('loop', () => {
  it('stops the server when its probe comes back a third time (forward to itself)', async () => {
    const messages: string[] = [];
    const port = await serve((p) => `127.0.0.1:${p}`, (m) => messages.push(m));
    const until = Date.now() + 8000;
    while (messages.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(new RegExp(`^loop: forwarding loop detected: seen "HINFO IN \\d+\\.\\d+\\." sent to 127\\.0\\.0\\.1:${port} 3 times`));
  });

  it('sends one probe through a sound chain and says nothing', async () => {
    const upstream = await fakeUpstream({});
    onTestFinished(() => upstream.close());
    const messages: string[] = [];
    await serve(() => upstream.address, (m) => messages.push(m));
    const until = Date.now() + 5000;
    while (upstream.queries.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, FAST.linger + 200));
    expect(upstream.queries.map((q) => q.type)).toEqual(['HINFO']);
    expect(upstream.queries[0]!.name).toMatch(/^\d+\.\d+$/);
    expect(messages).toEqual([]);
  });

  it('makes a new random name in the zone each time', () => {
    const a = probeName('svc.test.');
    expect(a).toMatch(/^\d+\.\d+\.svc\.test\.$/);
    expect(probeName('svc.test.')).not.toBe(a);
    expect(probeName('.')).toMatch(/^\d+\.\d+\.$/);
  });
});
