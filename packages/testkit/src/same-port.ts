import dgram from 'node:dgram';
import net from 'node:net';

export const HOST = '127.0.0.1';
const ATTEMPTS = 50;

/** The loopback addresses a test server binds: 127.0.0.1 (the default) or ::1. */
export type LoopbackHost = '127.0.0.1' | '::1';

export function bindUdp(port = 0, host: LoopbackHost = HOST): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const udp = dgram.createSocket(host === '::1' ? 'udp6' : 'udp4');
    udp.once('error', reject);
    udp.bind(port, host, () => {
      udp.off('error', reject);
      resolve(udp);
    });
  });
}

export function listenTcp(port = 0, server = net.createServer(), host: LoopbackHost = HOST): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

export function closeUdp(udp: dgram.Socket): Promise<void> {
  return new Promise((resolve) => udp.close(() => resolve()));
}

export function closeTcp(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * A UDP socket and a TCP server on the same port of 127.0.0.1 (or ::1): UDP binds port 0, TCP
 * listens on the port it got; when TCP finds that port taken, both start again.
 */
export async function bindSamePort(server = net.createServer(), fixedPort = 0, host: LoopbackHost = HOST): Promise<{ udp: dgram.Socket; tcp: net.Server; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const udp = await bindUdp(fixedPort, host);
    const port = udp.address().port;
    try {
      return { udp, tcp: await listenTcp(port, server, host), port };
    } catch (err) {
      await closeUdp(udp);
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt === ATTEMPTS || fixedPort !== 0) throw err;
    }
  }
}
