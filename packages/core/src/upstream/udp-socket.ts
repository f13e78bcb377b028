import dgram from 'node:dgram';
import type { Batch, BatchSocket } from '@dnsmesh/udp-batch';
import { FLAG_TC, OFF_FLAGS } from '../wire/constants.js';
import { sameHost, type UpstreamAddress } from './address.js';

type BatchModule = typeof import('@dnsmesh/udp-batch');

/** What a pooled socket hands its datagrams to: the exchange in flight on it. */
export interface SocketUser {
  /** A datagram; `fromPeer`: it came from the address and port the socket's last query went to. */
  onDatagram(msg: Buffer, fromPeer: boolean): void;
  /** The socket failed (a send error, or it could not bind): the exchange fails, the socket is closed. */
  onSocketError(err: Error): void;
}

/** What a pool's sockets count themselves: datagrams with no exchange in flight, and those too large to read whole. */
export interface StrayCounts {
  /** A reply to the socket's previous query, which had already ended (a timeout, an abort, a faster try). */
  late: number;
  /** Anything else. */
  spoofed: number;
  /** Datagrams longer than a batched socket reads (`UPSTREAM_SLOT`): read cut, with TC set. */
  oversize: number;
}

/**
 * The upstream host is always an IP literal (checked before any exchange starts), so dgram's
 * lookup is the address itself, at once: no `dns.lookup` and no tick per send or bind.
 */
function literal(address: string, _options: unknown, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  callback(null, address, address.includes(':') ? 6 : 4);
}

/**
 * The batched transport's addon for upstream sockets, once a server has chosen it
 * (`useBatchUpstream`): Node's dgram spends more on each datagram than the exchange itself (a
 * 64 KB receive buffer and an external ArrayBuffer per reply, the `rinfo` object built property by
 * property, a send request and a tick for its callback).
 */
let batchModule: BatchModule | undefined;

/** Upstream sockets opened from now on use `module` (undefined: Node's dgram). */
export function useBatchUpstream(module: BatchModule | undefined): void {
  batchModule = module;
}

/**
 * Bytes a batched upstream socket reads of a datagram: the largest EDNS size forward advertises. A
 * longer one (from an upstream that ignores what we advertised) is read cut to this, with the TC
 * bit set: a truncated reply, so it is asked again over TCP (by forward with `prefer_udp`, else by
 * the client), as for any truncated reply. Reading whole datagrams would take 64 KB a socket.
 */
const UPSTREAM_SLOT = 4096;
const ADDR_SLOT = 28;

/**
 * Whether the sender slot at `a` is `peer`: sa_family and port (bytes 0-3), then the IPv4 address
 * (4-7), or for IPv6 the address and zone (8-27; 4-7 is the flow label, which the sender picks).
 */
function samePeer(family: 4 | 6, addrs: Uint8Array, a: number, peer: Uint8Array): boolean {
  if (addrs[a] !== peer[0] || addrs[a + 1] !== peer[1] || addrs[a + 2] !== peer[2] || addrs[a + 3] !== peer[3]) return false;
  if (family === 4) return addrs[a + 4] === peer[4] && addrs[a + 5] === peer[5] && addrs[a + 6] === peer[6] && addrs[a + 7] === peer[7];
  for (let i = 8; i < ADDR_SLOT; i++) if (addrs[a + i] !== peer[i]) return false;
  return true;
}

/** Address slots of the upstreams asked so far (a handful per process). */
const slots = new WeakMap<UpstreamAddress, Uint8Array>();

/**
 * One outgoing UDP socket: bound at once to a port the kernel picks at random (Linux randomises
 * ephemeral ports, RFC 6056), carrying one query at a time, for a bounded number of queries.
 * Unref'd: an idle socket never keeps the process alive. Node's dgram, or the batched transport's
 * addon once a server chose it (`useBatchUpstream`): the same checks either way.
 */
export abstract class PooledSocket {
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

  constructor(readonly family: 4 | 6, readonly budget: number) {}

  /** Sends a query to `to`; a failure fails the exchange in flight (`onSocketError`). */
  abstract send(bytes: Buffer, to: UpstreamAddress): void;

  /** Closes the socket (idempotent). */
  abstract close(): void;

  /** A datagram arrived: to the exchange in flight, else counted as late or spoofed. */
  protected deliver(msg: Buffer, fromPeer: boolean, strays: StrayCounts): void {
    const user = this.user;
    if (user !== undefined) user.onDatagram(msg, fromPeer);
    else if (msg.length >= 2 && msg.readUInt16BE(0) === this.lastId) strays.late++;
    else strays.spoofed++;
  }

  protected fail(err: Error): void {
    this.broken = true;
    this.error ??= err;
    const user = this.user;
    if (user !== undefined) user.onSocketError(err);
  }
}

/** Opens a pooled socket: the batched transport's when a server chose it, else dgram's. */
export function openPooledSocket(family: 4 | 6, budget: number, strays: StrayCounts): PooledSocket {
  const module = batchModule;
  return module !== undefined ? new BatchPooledSocket(module, family, budget, strays) : new DgramPooledSocket(family, budget, strays);
}

/** A pooled socket on Node's dgram. */
class DgramPooledSocket extends PooledSocket {
  readonly socket: dgram.Socket;
  /** Where its last query went (the source a reply must come from). */
  #peer: UpstreamAddress | undefined;
  /** What `send` calls back with: one function per socket, not one per query. */
  readonly #afterSend: (err: Error | null) => void;

  constructor(family: 4 | 6, budget: number, strays: StrayCounts) {
    super(family, budget);
    const socket = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4', lookup: literal });
    this.socket = socket;
    socket.on('message', (msg, rinfo) => {
      const peer = this.#peer;
      this.deliver(msg, peer !== undefined && rinfo.port === peer.port && sameHost(peer.host, rinfo.address), strays);
    });
    socket.on('error', (err) => this.fail(err));
    this.#afterSend = (err) => { if (err) this.fail(err); };
    // No address: the wildcard, as the kernel would pick for the first send; port 0: a random free one.
    socket.bind({ port: 0, exclusive: true });
    if (!this.broken) socket.unref();
  }

  send(bytes: Buffer, to: UpstreamAddress): void {
    this.#peer = to;
    this.socket.send(bytes, to.port, to.host, this.#afterSend);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.broken = true;
    this.user = undefined;
    try { this.socket.close(); } catch { /* already closed */ }
  }
}

/**
 * A pooled socket on the batched transport's addon: a reply is copied out of the socket's memory
 * and its sender compared as raw `sockaddr` bytes with where the query went (family, port and
 * address; for IPv6 also the zone, not the flow label); a query is one `sendto`, done when `send`
 * returns. An IPv6 socket is IPv6-only: an IPv4-mapped upstream is asked from an IPv4 socket
 * (`udpExchange` maps it).
 */
class BatchPooledSocket extends PooledSocket {
  readonly #socket: BatchSocket | undefined;
  readonly #module: BatchModule;
  /** Where its last query went, and that as a socket address slot. */
  #peerAddress: UpstreamAddress | undefined;
  #peer: Uint8Array | undefined;

  constructor(module: BatchModule, family: 4 | 6, budget: number, strays: StrayCounts) {
    super(family, budget);
    this.#module = module;
    let socket: BatchSocket | undefined;
    try {
      // One slot (a socket carries one query at a time): one datagram a wakeup, one recvmmsg.
      socket = module.BatchSocket.open({ host: family === 6 ? '::' : '0.0.0.0', port: 0, batchSize: 1, slotSize: UPSTREAM_SLOT, keepTruncated: true },
        (batch) => this.#onBatch(batch, strays));
      socket.unref();
    } catch (err) {
      this.fail(err as Error);           // EMFILE, ENOBUFS: the pool closes it and refuses the exchange
    }
    this.#socket = socket;
  }

  #onBatch(batch: Batch, strays: StrayCounts): void {
    const { buf, lens, addrs, slotSize } = batch;
    const peer = this.#peer;
    for (let i = 0; i < batch.count; i++) {
      let len = lens[i]!;
      lens[i] = 0;                       // never echoed back: nothing is sent from here
      const at = i * slotSize;
      const fromPeer = peer !== undefined && samePeer(this.family, addrs, i * ADDR_SLOT, peer);
      if (len > slotSize) {              // longer than the slot: its first slotSize bytes, made a truncated reply
        len = slotSize;
        buf[at + OFF_FLAGS] |= FLAG_TC >> 8;
        if (fromPeer) strays.oversize++; // from elsewhere it is counted as spoofed, like any stray
      }
      const msg = Buffer.allocUnsafe(len);
      buf.copy(msg, 0, at, at + len);    // the batch memory is reused: the reply gets bytes of its own
      this.deliver(msg, fromPeer, strays);
    }
  }

  send(bytes: Buffer, to: UpstreamAddress): void {
    const socket = this.#socket;
    if (socket === undefined || socket.closed) { this.fail(new Error('send on a closed socket')); return; }
    let peer = this.#peer;
    if (to !== this.#peerAddress) {   // a socket mostly carries queries to one upstream
      peer = slots.get(to);
      if (peer === undefined) {
        try {
          peer = this.#module.encodeAddress(to.host, to.port);
        } catch (err) {              // a zone naming no interface
          this.fail(err as Error);
          return;
        }
        slots.set(to, peer);
      }
      this.#peerAddress = to;
      this.#peer = peer;
    }
    // The kernel has the datagram when sendto returns; false: refused (a full send buffer, an unreachable address).
    if (!socket.sendTo(bytes, peer!)) this.fail(new Error(`send to ${to.host}:${to.port} refused`));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.broken = true;
    this.user = undefined;
    this.#socket?.close();
  }
}
