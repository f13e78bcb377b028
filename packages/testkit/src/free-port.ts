import { bindSamePort, bindUdp, closeTcp, closeUdp, listenTcp } from './same-port.js';

/**
 * A port that was free on 127.0.0.1 a moment ago, for UDP, TCP or both. Another process may take it
 * before the caller binds it; prefer binding port 0 where the code under test allows it.
 */
export async function freePort(proto: 'udp' | 'tcp' | 'both' = 'both'): Promise<number> {
  if (proto === 'udp') {
    const udp = await bindUdp();
    const { port } = udp.address();
    await closeUdp(udp);
    return port;
  }
  if (proto === 'tcp') {
    const tcp = await listenTcp();
    const { port } = tcp.address() as { port: number };
    await closeTcp(tcp);
    return port;
  }
  const { udp, tcp, port } = await bindSamePort();
  await Promise.all([closeUdp(udp), closeTcp(tcp)]);
  return port;
}
