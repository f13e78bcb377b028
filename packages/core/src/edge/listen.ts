import cluster from 'node:cluster';
import type net from 'node:net';

/**
 * Binds a stream server (TCP, TLS or HTTP/2) and resolves once it listens, rejecting on a bind
 * error. In a worker of `-workers N` the primary holds the socket and hands connections round.
 */
export function listenOn(server: net.Server, port: number, host: string | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, exclusive: !cluster.isWorker }, () => { server.off('error', reject); resolve(); });
  });
}
