import net from 'node:net';
import { toReply, type Reply } from './reply.js';
import { formatAddress, serverAddress, type ServerAddress } from './server-address.js';
import { FrameReader, frame } from './tcp-frames.js';

const DEFAULT_TIMEOUT = 2000;

/** One TCP connection to a DNS server, for pipelined queries and replies read in arrival order. */
export interface TcpSession {
  /** Writes each message with its length prefix, all in one write (pipelined). */
  send(...messages: Buffer[]): void;
  /** Writes bytes as they are (no length prefix), e.g. a framed message cut in pieces. */
  write(bytes: Buffer): void;
  /** The next reply, decoded; rejects when none arrives within `timeout` ms or the connection closes. */
  next(timeout?: number): Promise<Reply>;
  /** The next reply's bytes; undefined when none arrives within `timeout` ms or the connection closes. */
  nextRaw(timeout?: number): Promise<Buffer | undefined>;
  /** Settles when the connection has closed, from either side. */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

/** Opens a TCP connection to a loopback DNS server. */
export async function tcpSession(server: string | ServerAddress): Promise<TcpSession> {
  const addr = serverAddress(server);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: addr.host, port: addr.port });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(new Session(socket, formatAddress(addr)));
    });
  });
}

class Session implements TcpSession {
  readonly closed: Promise<void>;
  readonly #socket: net.Socket;
  readonly #address: string;
  readonly #replies: Buffer[] = [];
  readonly #waiters: ((reply: Buffer | undefined) => void)[] = [];
  #ended = false;

  constructor(socket: net.Socket, address: string) {
    this.#socket = socket;
    this.#address = address;
    socket.setNoDelay(true);
    const reader = new FrameReader();
    socket.on('data', (chunk) => {
      for (const msg of reader.push(chunk)) {
        const waiter = this.#waiters.shift();
        if (waiter === undefined) this.#replies.push(msg);
        else waiter(msg);
      }
    });
    socket.on('error', () => {}); // a reset shows as the close below
    this.closed = new Promise((resolve) => socket.once('close', () => {
      this.#ended = true;
      for (const waiter of this.#waiters.splice(0)) waiter(undefined);
      resolve();
    }));
  }

  send(...messages: Buffer[]): void {
    this.#socket.write(Buffer.concat(messages.map(frame)));
  }

  write(bytes: Buffer): void {
    this.#socket.write(bytes);
  }

  nextRaw(timeout = DEFAULT_TIMEOUT): Promise<Buffer | undefined> {
    const ready = this.#replies.shift();
    if (ready !== undefined || this.#ended) return Promise.resolve(ready);
    return new Promise((resolve) => {
      const waiter = (reply: Buffer | undefined) => { clearTimeout(timer); resolve(reply); };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        resolve(undefined);
      }, timeout);
      this.#waiters.push(waiter);
    });
  }

  async next(timeout = DEFAULT_TIMEOUT): Promise<Reply> {
    const raw = await this.nextRaw(timeout);
    if (raw === undefined) {
      throw new Error(this.#ended
        ? `the TCP connection to ${this.#address} closed before a reply`
        : `no reply on the TCP connection to ${this.#address} within ${timeout} ms`);
    }
    return toReply(raw);
  }

  close(): Promise<void> {
    this.#socket.destroy();
    return this.closed;
  }
}
