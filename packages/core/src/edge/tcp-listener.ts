import cluster from 'node:cluster';
import net from 'node:net';
import type { ClientInfo } from '../context.js';
import type { Duration } from '../units.js';
import type { Edge } from './edge.js';

export interface TcpOptions {
  /** Close a connection with nothing in flight after this long idle (RFC 7766 §6.2.3: seconds). */
  readonly idleTimeout: Duration;
  /** Queries in flight per connection; reading pauses beyond it. */
  readonly maxPipelined: number;
  readonly maxConnections: number;
}

export const TCP_DEFAULTS: TcpOptions = { idleTimeout: 10_000, maxPipelined: 128, maxConnections: 1000 };

/**
 * A TCP listener (RFC 7766): 2-byte length framing, several queries per connection processed
 * concurrently and answered as each is ready (out of order is allowed), idle connections closed.
 */
export class TcpListener {
  #server: net.Server | undefined;
  readonly #conns = new Set<net.Socket>();

  constructor(readonly edge: Edge, readonly host: string, readonly port: number, readonly opts: TcpOptions = TCP_DEFAULTS) {}

  async listen(): Promise<void> {
    const server = net.createServer((socket) => this.#accept(socket));
    server.maxConnections = this.opts.maxConnections;
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

  #accept(socket: net.Socket): void {
    this.#conns.add(socket);
    socket.setNoDelay(true);
    const client: ClientInfo = {
      address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0, transport: 'tcp',
      family: socket.remoteFamily === 'IPv6' ? 6 : 4,
    };
    let pending: Buffer = Buffer.alloc(0);
    let inflight = 0;
    const idle = this.opts.idleTimeout;
    socket.setTimeout(idle, () => { if (inflight === 0) socket.destroy(); });
    const write = (reply: Buffer | undefined) => {
      inflight--;
      if (reply !== undefined && !socket.destroyed) {
        const framed = Buffer.allocUnsafe(reply.length + 2);
        framed.writeUInt16BE(reply.length, 0);
        reply.copy(framed, 2);
        socket.write(framed); // length and message in one write (RFC 7766 §8)
      }
      if (socket.isPaused() && inflight < this.opts.maxPipelined) socket.resume();
      if (this.edge.closing && inflight === 0) socket.end();
    };
    socket.on('data', (chunk) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < len + 2) break;
        const msg = pending.subarray(2, len + 2);
        pending = pending.subarray(len + 2);
        inflight++;
        const result = this.edge.handle(Buffer.from(msg), client);
        if (result instanceof Promise) result.then(write, () => write(undefined));
        else write(result as Buffer | undefined); // no slot lent: never a length
      }
      if (inflight >= this.opts.maxPipelined) socket.pause();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.#conns.delete(socket));
  }

  /** Stops accepting; open connections finish what is in flight, then close. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.#conns) socket.end();
    const timer = setTimeout(() => { for (const socket of this.#conns) socket.destroy(); }, 1000);
    await closed;
    clearTimeout(timer);
  }
}
