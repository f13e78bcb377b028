import net from 'node:net';
import { listenOn } from './listen.js';
import tls from 'node:tls';
import type { ClientInfo } from '../context.js';
import type { Edge } from './edge.js';
import { clientKey } from './client-key.js';
import { TcpConnection, type ConnectionHost } from './tcp-connection.js';
import { TCP_DEFAULTS, TcpCounts, type TcpOptions } from './tcp-options.js';
import { serverTlsOptions, type TlsSettings } from './tls-settings.js';

export { TCP_DEFAULTS, type TcpOptions } from './tcp-options.js';

/**
 * A TCP listener (RFC 7766) and the bounds on what its clients hold: at most `maxPerClient`
 * connections per client address and `maxConnections` in all. When full, a new connection does
 * not wait and is not refused: the connection that has gone longest without sending a whole query
 * is closed to make room. Slow-sending clients (slowloris) thus lose their places to clients that
 * ask, instead of locking everyone out; a client that asks keeps its place by asking. (Unbound
 * shortens its timeouts as its TCP slots fill; eviction gives the same outcome at once.)
 *
 * With `tls` it is a DNS-over-TLS listener (RFC 7858): the same framing, caps and timeouts, on
 * the sockets a TLS server hands over once their handshake is done. A handshake must end within
 * `frameTimeout`, and the caps count a connection from its first byte, handshake included.
 */
export class TcpListener implements ConnectionHost {
  #server: net.Server | undefined;
  /** Open connections, the one with the oldest complete query first (re-inserted on each). */
  readonly #conns = new Map<net.Socket, TcpConnection>();
  readonly #perClient = new Map<string, number>();
  opts: TcpOptions;

  constructor(readonly edge: Edge, readonly host: string, readonly port: number, opts: TcpOptions = TCP_DEFAULTS, readonly counts: TcpCounts = new TcpCounts(), readonly tls?: TlsSettings) {
    this.opts = opts;
  }

  async listen(): Promise<void> {
    const settings = this.tls;
    let server: net.Server;
    if (settings === undefined) {
      server = net.createServer((socket) => this.#accept(socket));
    } else {
      const secure = tls.createServer({ ...serverTlsOptions(settings), handshakeTimeout: this.opts.frameTimeout });
      // Caps apply from the TCP accept, so a flood of handshakes that never finish holds no more
      // than a flood of plain connections would; the DNS side starts once the handshake is done.
      secure.on('connection', (raw: net.Socket) => this.#accept(raw, true));
      secure.on('secureConnection', (socket: tls.TLSSocket) => this.#secured(socket));
      secure.on('tlsClientError', (err: Error & { code?: string }, socket: tls.TLSSocket) => {
        this.counts.tlsErrors++;
        const raw = rawOf(socket);
        if (raw !== undefined) this.#handshaking.get(raw)?.onClose();
        this.edge.logger.debug({ err: err.message, code: err.code, client: socket.remoteAddress }, 'TLS handshake failed');
      });
      server = secure;
    }
    await listenOn(server, this.port, this.host);
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
  reconfigure(opts: TcpOptions, tlsSettings?: TlsSettings): void {
    this.opts = opts;
    if (tlsSettings !== undefined && this.#server instanceof tls.Server) {
      // A reload read the certificate files again: new handshakes use them, open connections go on.
      this.#server.setSecureContext(serverTlsOptions(tlsSettings));
    }
    for (const conn of this.#conns.values()) conn.reconfigure();
  }

  /**
   * A TLS connection's handshake is done: its clear-text side takes the place the raw socket held.
   * The raw socket may have been evicted or closed meanwhile; then so is this one.
   */
  #secured(socket: tls.TLSSocket): void {
    const raw = rawOf(socket);
    const waiting = raw === undefined ? undefined : this.#handshaking.get(raw);
    if (raw === undefined || waiting === undefined) { socket.destroy(); return; }
    this.#handshaking.delete(raw);
    const conn = new TcpConnection(socket, waiting.client, waiting.key, this);
    this.#conns.delete(raw);
    this.#conns.set(socket, conn);
    raw.off('close', waiting.onClose);
  }

  /** Raw TLS sockets in their handshake: what their place is held for. */
  readonly #handshaking = new Map<net.Socket, { client: ClientInfo; key: string; onClose: () => void }>();

  #accept(socket: net.Socket, handshake = false): void {
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
    if (!handshake) {
      this.#conns.set(socket, new TcpConnection(socket, client, key, this));
      return;
    }
    // Held by a placeholder until the handshake ends: it counts, and can be evicted, like any other.
    const holder = new HandshakeHolder(socket, key, this);
    const onClose = (): void => { this.#handshaking.delete(socket); holder.destroy(); };
    socket.once('close', onClose);
    this.#handshaking.set(socket, { client, key, onClose });
    this.#conns.set(socket, holder as unknown as TcpConnection);
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

/** The TCP socket a TLS server wrapped (Node keeps it as `_parent`). */
function rawOf(socket: tls.TLSSocket): net.Socket | undefined {
  return (socket as unknown as { _parent?: net.Socket })._parent;
}

/** A connection in its TLS handshake: it holds a place (counts, eviction) with no DNS on it yet. */
class HandshakeHolder {
  constructor(readonly socket: net.Socket, readonly key: string, readonly host: TcpListener) {}
  destroy(): void {
    this.socket.destroy();
    this.release();
  }
  release(): void {
    this.host.released(this as unknown as TcpConnection);
  }
  reconfigure(): void {}
}
