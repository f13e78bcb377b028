import dgram from 'node:dgram';
import type { ClientInfo } from '../context.js';
import type { Edge } from './edge.js';
import { sharedWithWorkers } from './listen.js';
import type { UdpCounts } from './metrics.js';

/**
 * Socket buffer size asked for (the kernel caps it at net.core.rmem_max/wmem_max). The default
 * (~208 KiB) holds only about 256 small datagrams: a burst larger than that is dropped by the kernel.
 */
export const UDP_SOCKET_BUFFER = 4 * 1024 * 1024;

/** A UDP socket feeding the edge. One reply per query, sent to where the query came from. */
export class UdpListener {
  #socket: dgram.Socket | undefined;
  /** What the socket counted (dnsmesh_udp_* metrics). */
  readonly counts: UdpCounts = { sendFailures: 0, batches: 0, datagrams: 0 };

  constructor(readonly edge: Edge, readonly host: string, readonly port: number) {}

  async listen(): Promise<void> {
    const type = this.host.includes(':') ? 'udp6' : 'udp4';
    const socket = dgram.createSocket({ type, reuseAddr: false, recvBufferSize: UDP_SOCKET_BUFFER, sendBufferSize: UDP_SOCKET_BUFFER });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      // In a worker of -workers N a configured port is the primary's, shared; port 0 is this process's own (listen.ts).
      socket.bind({ port: this.port, address: this.host, exclusive: !sharedWithWorkers(this.port) }, () => { socket.off('error', reject); resolve(); });
    });
    socket.on('error', () => { this.counts.sendFailures++; });
    socket.on('message', (msg, rinfo) => this.#onMessage(msg, rinfo));
    this.#socket = socket;
  }

  get address(): { host: string; port: number } {
    const a = this.#socket!.address();
    return { host: a.address, port: a.port };
  }

  #onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const client: ClientInfo = { address: rinfo.address, port: rinfo.port, transport: 'udp', family: rinfo.family === 'IPv6' ? 6 : 4 };
    const result = this.edge.handle(msg, client);
    if (result === undefined) return;
    if (result instanceof Promise) {
      result.then((reply) => { if (reply !== undefined) this.#send(reply, client); }, () => {});
    } else {
      this.#send(result as Buffer, client); // no slot lent: never a length
    }
  }

  #send(reply: Buffer, client: ClientInfo): void {
    const socket = this.#socket;
    if (socket === undefined) return;
    socket.send(reply, client.port, client.address); // a failure surfaces as an 'error' event, counted above
  }

  close(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket === undefined) return Promise.resolve();
    return new Promise((resolve) => socket.close(() => resolve()));
  }
}
