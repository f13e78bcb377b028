import { createServer, manualClock, type DnsServer } from '@dnsmesh/core';
import { afterEach, describe, expect, it } from 'vitest';
import { answer } from '../../test/helpers.js';
import { httpUrl } from '../http/listener.js';
import { prometheusPlugin } from '../prometheus/index.js';
import { healthPlugin } from './index.js';
import { readyPlugin } from '../ready/index.js';
import { query } from '@dnsmesh/testkit';

let server: DnsServer | undefined;
afterEach(async () => { await server?.stop(0); server = undefined; });

describe('health', () => {
  it('answers 200 OK on /health while the server runs, and nothing once it stopped', async () => {
    server = await createServer({ clock: manualClock(), plugins: [healthPlugin({ address: '127.0.0.1:0' }), answer()] }).start();
    const url = httpUrl(server.blocks[0]!, 'health')!;
    const res = await fetch(`${url}/health`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('OK');
    expect((await fetch(`${url}/health`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${url}/health`, { method: 'DELETE' })).status).toBe(405);
    expect((await fetch(`${url}/ready`)).status).toBe(404);
    await server.stop(0);
    server = undefined;
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  it('takes no place in the chain', () => {
    const built = createServer({ plugins: [healthPlugin({ address: '127.0.0.1:0' }), answer()] });
    expect(built.blocks[0]!.plugins.map((p) => p.name)).toEqual(['answer']);
  });

  it('with lameduck, a stop keeps answering DNS while /health and /ready report shutting down, then closes', async () => {
    const s = await createServer({ clock: manualClock(), plugins: [
      healthPlugin({ address: '127.0.0.1:0', lameduck: 400 }), readyPlugin({ address: '127.0.0.1:0' }), answer()] }).start();
    const health = httpUrl(s.blocks[0]!, 'health')!;
    const ready = httpUrl(s.blocks[0]!, 'ready')!;
    const dns = s.address;
    expect((await fetch(`${ready}/ready`)).status).toBe(200);
    const stopping = s.stop(0);
    await new Promise((r) => setTimeout(r, 50));
    const during = await fetch(`${health}/health`);
    expect([during.status, await during.text()]).toEqual([503, 'shutting down']);
    expect((await fetch(`${ready}/ready`)).status).toBe(503);
    const reply = await query(dns, 'web.test', 'A', { timeout: 1000 }); // DNS is still answered
    expect(reply.rcode).toBe('NOERROR');
    await stopping;
    await expect(fetch(`${health}/health`)).rejects.toThrow();
    await expect(query(dns, 'web.test', 'A', { timeout: 300 })).rejects.toThrow();
  });

  it('shares a port with prometheus when both name it', async () => {
    const clock = manualClock();
    const first = await createServer({ clock, plugins: [healthPlugin({ address: '127.0.0.1:0' }), answer()] }).start();
    const port = new URL(httpUrl(first.blocks[0]!, 'health')!).port;
    await first.stop(0);
    const address = `127.0.0.1:${port}`;
    server = await createServer({ clock, plugins: [prometheusPlugin({ address }), healthPlugin({ address }), answer()] }).start();
    expect(httpUrl(server.blocks[0]!, 'health')).toBe(httpUrl(server.blocks[0]!, 'prometheus'));
    expect((await fetch(`http://${address}/health`)).status).toBe(200);
    expect((await fetch(`http://${address}/metrics`)).status).toBe(200);
  });

  it('fails the start when the address is taken by something else', async () => {
    const { createServer: httpServer } = await import('node:http');
    const other = httpServer();
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const port = (other.address() as { port: number }).port;
    try {
      const s = createServer({ clock: manualClock(), plugins: [healthPlugin({ address: `127.0.0.1:${port}` }), answer()] });
      await expect(s.start()).rejects.toThrow(`cannot listen on 127.0.0.1:${port}`);
    } finally {
      await new Promise((r) => other.close(r));
    }
  });
});
