// The DNS port: UDP and TCP (2-byte length framing, pipelined) on the same number.
import dgram from 'node:dgram';
import net from 'node:net';
import type { Timers } from '../timers.js';
import type { Transport } from './respond.js';

export interface DnsHooks {
  handle(query: Buffer, transport: Transport): Buffer | undefined;
  /** True while the blackhole failure swallows replies. */
  blackholed(): boolean;
  /** ms to hold each reply (the slow failure). */
  delay(): number;
  readonly timers: Timers;
}

export class DnsServer {
  #udp: dgram.Socket | undefined;
  #tcp: net.Server | undefined;
  readonly #conns = new Set<net.Socket>();
  constructor(readonly hooks: DnsHooks) {}

  /** Binds TCP first, then UDP on the port TCP got; with port 0 it retries if UDP's is taken. */
  async listen(host: string, port: number): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const tcp = net.createServer((socket) => this.#accept(socket));
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ port, host, exclusive: true }, () => { tcp.off('error', reject); resolve(); });
      });
      const bound = (tcp.address() as net.AddressInfo).port;
      try {
        this.#udp = await bindUdp(host, bound, (msg, rinfo) => this.#dispatch(msg, 'udp', (out) => {
          this.#udp?.send(out, rinfo.port, rinfo.address, () => { /* a closed socket drops it */ });
        }));
        this.#tcp = tcp;
        return bound;
      } catch (err) {
        await new Promise((r) => tcp.close(r));
        if (port !== 0 || attempt >= 10 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      }
    }
  }

  async close(): Promise<void> {
    const udp = this.#udp;
    const tcp = this.#tcp;
    this.#udp = undefined;
    this.#tcp = undefined;
    for (const c of this.#conns) c.destroy();
    this.#conns.clear();
    await Promise.all([
      udp === undefined ? undefined : new Promise<void>((r) => udp.close(() => r())),
      tcp === undefined ? undefined : new Promise((r) => tcp.close(r)),
    ]);
  }

  #accept(socket: net.Socket): void {
    this.#conns.add(socket);
    socket.on('close', () => this.#conns.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < 2 + len) break;
        const msg = pending.subarray(2, 2 + len);
        pending = pending.subarray(2 + len);
        this.#dispatch(msg, 'tcp', (out) => {
          if (socket.destroyed) return;
          const frame = Buffer.alloc(2 + out.length);
          frame.writeUInt16BE(out.length, 0);
          out.copy(frame, 2);
          socket.write(frame);
        });
      }
    });
  }

  #dispatch(msg: Buffer, transport: Transport, send: (out: Buffer) => void): void {
    const out = this.hooks.handle(msg, transport);
    if (out === undefined || this.hooks.blackholed()) return;
    const delay = this.hooks.delay();
    if (delay > 0) this.hooks.timers.after(delay, () => send(out));
    else send(out);
  }
}

function bindUdp(host: string, port: number, onMessage: (msg: Buffer, rinfo: dgram.RemoteInfo) => void): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4' });
  socket.on('message', onMessage);
  return new Promise((resolve, reject) => {
    socket.once('error', (err) => { try { socket.close(); } catch { /* never bound */ } reject(err); });
    socket.bind({ port, address: host, exclusive: true }, () => {
      socket.removeAllListeners('error');
      socket.on('error', () => { /* ICMP errors from clients that went away */ });
      resolve(socket);
    });
  });
}
