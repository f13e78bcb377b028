import cluster from 'node:cluster';
import net from 'node:net';
import type { ClientInfo } from '../context.js';
import type { Edge } from './edge.js';
import { clientKey } from './client-key.js';
import { TcpConnection, type ConnectionHost } from './tcp-connection.js';
import { TCP_DEFAULTS, TcpCounts, type TcpOptions } from './tcp-options.js';

export { TCP_DEFAULTS, type TcpOptions } from './tcp-options.js';

/**
 * A TCP listener (RFC 7766) and the bounds on what its clients hold: at most `maxPerClient`
 * connections per client address and `maxConnections` in all. When full, a new connection does
 * not wait and is not refused: the connection that has gone longest without sending a whole query
 * is closed to make room. Slow-sending clients (slowloris) thus lose their places to clients that
 * ask, instead of locking everyone out; a client that asks keeps its place by asking. (Unbound
 * shortens its timeouts as its TCP slots fill; eviction gives the same outcome at once.)
 */
export class TcpListener implements ConnectionHost {
  #server: net.Server | undefined;
  /** Open connections, the one with the oldest complete query first (re-inserted on each). */
  readonly #conns = new Map<net.Socket, TcpConnection>();
  readonly #perClient = new Map<string, number>();
  opts: TcpOptions;

  constructor(readonly edge: Edge, readonly host: string, readonly port: number, opts: TcpOptions = TCP_DEFAULTS, readonly counts: TcpCounts = new TcpCounts()) {
    this.opts = opts;
  }

  async listen(): Promise<void> {
    const server = net.createServer((socket) => this.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // In a worker of `-workers N` the primary holds the socket and hands connections round.
      server.listen({ port: this.port, host: this.host, exclusive: !cluster.isWorker }, () => { server.off('error', reject); resolve(); });
    });
    this.#server = server;
  }

  get address(): { host: string; port: number } {
    const a = this.#server!.address() as net.AddressInfo;
    return { host: a.address, port: a.port };
  }

  /** Open connections now. */
  get connections(): number {
    return this.#conns.size;
  }

  /** New limits (a reload): open connections keep going under them. */
  reconfigure(opts: TcpOptions): void {
    this.opts = opts;
    for (const conn of this.#conns.values()) conn.reconfigure();
  }

  #accept(socket: net.Socket): void {
    const counts = this.counts;
    const address = socket.remoteAddress ?? '';
    const key = clientKey(address);
    const mine = this.#perClient.get(key) ?? 0;
    if (mine >= this.opts.maxPerClient) {
      counts.refusedPerClient++;
      socket.destroy();
      return;
    }
    while (this.#conns.size >= this.opts.maxConnections) {
      const stalest = this.#conns.values().next().value!;
      counts.evicted++;
      stalest.destroy();
    }
    counts.accepted++;
    counts.open++;
    this.#perClient.set(key, mine + 1);
    const client: ClientInfo = { address, port: socket.remotePort ?? 0, transport: 'tcp', family: socket.remoteFamily === 'IPv6' ? 6 : 4 };
    this.#conns.set(socket, new TcpConnection(socket, client, key, this));
  }

  progressed(conn: TcpConnection): void {
    const conns = this.#conns;
    if (conns.delete(conn.socket)) conns.set(conn.socket, conn);
  }

  released(conn: TcpConnection): void {
    if (!this.#conns.delete(conn.socket)) return;
    this.counts.open--;
    const n = (this.#perClient.get(conn.key) ?? 1) - 1;
    if (n <= 0) this.#perClient.delete(conn.key);
    else this.#perClient.set(conn.key, n);
  }

  /** Stops accepting; open connections finish what is in flight, then close. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const conn of this.#conns.values()) conn.socket.end();
    const timer = setTimeout(() => { for (const conn of [...this.#conns.values()]) conn.destroy(); }, 1000);
    await closed;
    clearTimeout(timer);
  }
}
