import dgram from 'node:dgram';

/** What a pooled socket hands its datagrams to: the exchange in flight on it. */
export interface SocketUser {
  onDatagram(msg: Buffer, rinfo: dgram.RemoteInfo): void;
  /** The socket failed (a send error, or it could not bind): the exchange fails, the socket is closed. */
  onSocketError(err: Error): void;
}

/** Datagrams that arrived on a socket with no exchange in flight. */
export interface StrayCounts {
  /** A reply to the socket's previous query, which had already ended (a timeout, an abort, a faster try). */
  late: number;
  /** Anything else. */
  spoofed: number;
}

/**
 * The upstream host is always an IP literal (checked before any exchange starts), so dgram's
 * lookup is the address itself, at once: no `dns.lookup` and no tick per send or bind.
 */
function literal(address: string, _options: unknown, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  callback(null, address, address.includes(':') ? 6 : 4);
}

/**
 * One outgoing UDP socket: bound at once to a port the kernel picks at random (Linux randomises
 * ephemeral ports, RFC 6056), carrying one query at a time, for a bounded number of queries.
 * Unref'd: an idle socket never keeps the process alive.
 */
export class PooledSocket {
  readonly socket: dgram.Socket;
  /** The exchange in flight on it, if any. */
  user: SocketUser | undefined;
  /** Queries sent on it so far; it is closed once they reach `budget`. */
  uses = 0;
  /** The ID of the query it carried before (its reply, after it ended, counts as late, not spoofed). */
  lastId = -1;
  /** When it went idle (ms, the pool's clock). */
  idleSince = 0;
  /** Where it sits in its pool's idle list (-1: busy). */
  idleAt = -1;
  /** It failed, or its pool closed it: never handed out again. */
  broken = false;
  /** Why it failed, if it did. */
  error: Error | undefined;
  closed = false;
  /** What `send` calls back with: one function per socket, not one per query. */
  readonly afterSend: (err: Error | null) => void;

  constructor(readonly family: 4 | 6, readonly budget: number, strays: StrayCounts) {
    const socket = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4', lookup: literal });
    this.socket = socket;
    socket.on('message', (msg, rinfo) => {
      const user = this.user;
      if (user !== undefined) user.onDatagram(msg, rinfo);
      else if (msg.length >= 2 && msg.readUInt16BE(0) === this.lastId) strays.late++;
      else strays.spoofed++;
    });
    socket.on('error', (err) => this.#fail(err));
    this.afterSend = (err) => { if (err) this.#fail(err); };
    // No address: the wildcard, as the kernel would pick for the first send; port 0: a random free one.
    socket.bind({ port: 0, exclusive: true });
    if (!this.broken) socket.unref();
  }

  #fail(err: Error): void {
    this.broken = true;
    this.error ??= err;
    const user = this.user;
    if (user !== undefined) user.onSocketError(err);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.broken = true;
    this.user = undefined;
    try { this.socket.close(); } catch { /* already closed */ }
  }
}
