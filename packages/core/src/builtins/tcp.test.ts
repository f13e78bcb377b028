import { readFileSync } from 'node:fs';
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseCorefile } from '../corefile/index.js';
import { TCP_DEFAULTS } from '../edge/tcp-options.js';
import { loadBlocks } from '../loader.js';
import { definePlugin } from '../plugin.js';
import { PluginRegistry } from '../registry.js';
import { DnsServer } from '../server.js';
import { manualClock } from '../units.js';
import bind from './bind.js';
import tcp from './tcp.js';

async function load(text: string) {
  const r = new PluginRegistry(['bind', 'tcp', 'forward']);
  r.register(bind);
  r.register(tcp);
  r.register(definePlugin({ name: 'forward', parse: () => ({}), create: () => undefined })); // a stand-in, for the README
  return loadBlocks(parseCorefile(text, 'Corefile'), { registry: r, clock: manualClock(), logger: pino({ level: 'silent' }), metrics: new Registry(), defaultPort: 53 });
}

describe('the tcp directive', () => {
  it.each([
    ['max_connections 200', { maxConnections: 200 }],
    ['max_per_client 4', { maxPerClient: 4 }],
    ['max_inflight 8', { maxInflight: 8 }],
    ['max_unsent 128k', { maxUnsent: 131072 }],
    ['max_unsent 70000', { maxUnsent: 70000 }],
    ['max_unsent_total 16m', { maxUnsentTotal: 16 * 1024 * 1024 }],
    ['idle_timeout 30s', { idleTimeout: 30_000 }],
    ['frame_timeout 500ms', { frameTimeout: 500 }],
    ['max_connections 10\n  max_per_client 2\n  idle_timeout 3', { maxConnections: 10, maxPerClient: 2, idleTimeout: 3000 }],
  ])('%s', async (body, expected) => {
    const [block] = await load(`.:53 {\n tcp {\n  ${body}\n }\n}\n`);
    expect(block!.tcp).toEqual(expected);
    expect(block!.plugins).toEqual([]); // configures the server, no place in the chain
  });

  it.each([
    ['tcp', 'Corefile:2 - tcp: needs a block of limits, like tcp { max_connections 1000 }'],
    ['tcp 5 {\n max_connections 3\n}', 'Corefile:2 - tcp: takes no arguments, got 1'],
    ['tcp {\n max_conns 3\n}', "Corefile:3 - tcp: unknown property 'max_conns' (max_connections, max_per_client, max_inflight, max_unsent, max_unsent_total, idle_timeout, frame_timeout)"],
    ['tcp {\n max_connections 0\n}', "Corefile:3 - tcp: expected an integer between 1 and 1000000, got '0'"],
    ['tcp {\n max_inflight\n}', 'Corefile:3 - tcp: max_inflight takes exactly 1 argument, got 0'],
    ['tcp {\n max_unsent 1x\n}', "Corefile:3 - tcp: expected a size between 1024 and 1073741824 bytes (like 64k or 4m), got '1x'"],
    ['tcp {\n idle_timeout 1ms\n}', "Corefile:3 - tcp: expected a duration between 10ms and 1h, got '1ms'"],
    ['tcp {\n max_per_client 2\n max_per_client 3\n}', 'Corefile:4 - tcp: max_per_client is set twice'],
    ['tcp {\n max_per_client 2\n}\ntcp {\n max_inflight 3\n}', 'Corefile:5 - tcp: this plugin can only be used once per server block (first at Corefile:2)'],
  ])('%s fails: %s', async (body, message) => {
    await expect(load(`.:53 {\n${body}\n}\n`)).rejects.toThrow(message);
  });

  it('gives a port the strictest limit of the blocks sharing it, and the defaults elsewhere', async () => {
    const blocks = await load('a.:0 {\n bind 127.0.0.1\n tcp {\n  max_inflight 4\n  max_connections 50\n }\n}\nb.:0 {\n bind 127.0.0.1\n tcp {\n  max_inflight 8\n  max_per_client 2\n }\n}\n');
    const server = await new DnsServer(blocks, manualClock(), pino({ level: 'silent' }), new Registry()).start();
    try {
      const [listener, ...others] = server.tcpListeners;
      expect(others).toEqual([]);
      expect(listener!.opts).toEqual({ ...TCP_DEFAULTS, maxInflight: 4, maxConnections: 50, maxPerClient: 2 });
    } finally {
      await server.stop(0);
    }
    const plain = await new DnsServer(await load('.:0 {\n bind 127.0.0.1\n}\n'), manualClock(), pino({ level: 'silent' }), new Registry()).start();
    try {
      expect(plain.tcpListeners[0]!.opts).toEqual(TCP_DEFAULTS);
    } finally {
      await plain.stop(0);
    }
  });

  it("loads the README's examples", async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const examples = [...readme.matchAll(/~~~ corefile\n([\s\S]*?)~~~/g)].map((m) => m[1]!).filter((t) => t.includes('tcp {'));
    expect(examples.length).toBeGreaterThan(0);
    for (const text of examples) {
      const [block] = await load(text);
      expect(block!.tcp).toEqual({ maxConnections: 5000, maxPerClient: 20, idleTimeout: 5000 });
    }
  });
});
