import dgram from 'node:dgram';
import net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { freePort } from './free-port.js';

describe('freePort', () => {
  it('gives a port that UDP and TCP can both bind on 127.0.0.1', async () => {
    const port = await freePort();
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(port, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => udp.close(() => resolve())));
    const tcp = net.createServer();
    await new Promise<void>((resolve) => tcp.listen(port, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => tcp.close(() => resolve())));
    expect(udp.address().port).toBe(port);
  });

  it('gives a port for one protocol alone', async () => {
    for (const proto of ['udp', 'tcp'] as const) {
      const port = await freePort(proto);
      expect(port).toBeGreaterThan(0);
      expect(port).toBeLessThan(65_536);
    }
  });
});
