import cluster from 'node:cluster';
import type net from 'node:net';

/**
 * Whether a listener on `port` is shared with the other workers of `-workers N`: a configured port
 * is (the kernel, or the primary, spreads clients over the workers); port 0, any free port (the
 * start-up warm-up's private block, tests), is this process's own. Shared, a port-0 bind could be
 * handed a port another worker already holds (SO_REUSEPORT lets the kernel pick a port bound by the
 * same user: 128 of 3,000 such binds here; the primary gives every worker the same "random" port),
 * and one worker's private listener would get another's queries.
 */
export function sharedWithWorkers(port: number, isWorker: boolean = cluster.isWorker): boolean {
  return isWorker && port !== 0;
}

/**
 * Binds a stream server (TCP, TLS or HTTP/2) and resolves once it listens, rejecting on a bind
 * error. In a worker of `-workers N` the primary holds a shared port's socket and hands connections round.
 */
export function listenOn(server: net.Server, port: number, host: string | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, exclusive: !sharedWithWorkers(port) }, () => { server.off('error', reject); resolve(); });
  });
}
