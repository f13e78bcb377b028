// Helpers for this package's tests (not compiled into dist: see tsconfig.json).
import dgram from 'node:dgram';
import { once } from 'node:events';

/** Resolves when `cond()` holds; rejects after `ms`. Polls on timers, so sockets keep flowing. */
export async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A node:dgram client on loopback that records every reply. */
export class Client {
  readonly replies: Buffer[] = [];
  private constructor(readonly socket: dgram.Socket, readonly host: string) {
    socket.on('message', (msg) => this.replies.push(msg));
  }

  static async open(family: 4 | 6 = 4): Promise<Client> {
    const host = family === 4 ? '127.0.0.1' : '::1';
    const socket = dgram.createSocket({ type: family === 4 ? 'udp4' : 'udp6', recvBufferSize: 4 << 20 });
    socket.bind(0, host);
    await once(socket, 'listening');
    return new Client(socket, host);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(bytes: Uint8Array | string, port: number): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(bytes, port, this.host, (err) => (err ? reject(err) : resolve())));
  }

  /** Sends every payload, at most `window` unanswered at a time (one process: the server drains between windows). */
  async exchange(port: number, payloads: (Uint8Array | string)[], window = 64, ms = 10_000): Promise<Buffer[]> {
    const start = this.replies.length;
    for (let i = 0; i < payloads.length; i += window) {
      const chunk = payloads.slice(i, i + window);
      await Promise.all(chunk.map((p) => this.send(p, port)));
      const want = start + i + chunk.length;
      await until(() => this.replies.length >= want, ms, `${want - start} replies`);
    }
    return this.replies.slice(start);
  }

  close(): void {
    this.socket.close();
  }
}

/** Open file descriptors of this process. */
export async function fdCount(): Promise<number> {
  const { readdirSync } = await import('node:fs');
  return readdirSync('/proc/self/fd').length;
}
