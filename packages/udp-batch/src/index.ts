import { isIP } from 'node:net';
import { endianness } from 'node:os';
import { loadBinding, type NativeBinding, type NativeHandle } from './native.js';

const loaded = loadBinding();
const binding: NativeBinding | undefined = loaded.binding;

/** Whether the native addon loaded. When false, use node:dgram (see `loadError` for why). */
export const available: boolean = binding !== undefined;
/** Why the addon did not load (undefined when `available`). */
export const loadError: Error | undefined = loaded.error;

/** Bytes per sender address slot: a sockaddr_in6 (an IPv4 sockaddr_in uses the first 16). */
export const ADDR_SLOT = 28;
/** Limits enforced in C: batchSize 1..1024 (the kernel's UIO_MAXIOV), slotSize 1..65535 (lens are u16). */
export const MAX_BATCH_SIZE = 1024;
export const MAX_SLOT_SIZE = 65535;

export interface BatchSocketOptions {
  /** An IPv4 or IPv6 literal ('0.0.0.0', '::', '127.0.0.1', '::1', 'fe80::1%eth0'). IPv6 sockets are IPv6-only. */
  host: string;
  /** 0 picks a free port (read it back from `port`). */
  port: number;
  /** SO_REUSEPORT: several sockets (in one or several processes) share the port; the kernel spreads senders over them. */
  reusePort?: boolean;
  /** SO_RCVBUF / SO_SNDBUF in bytes (the kernel doubles them and caps them at net.core.[rw]mem_max). 0 or unset: the default. */
  recvBufferSize?: number;
  sendBufferSize?: number;
  /** Datagrams per batch (and per JavaScript call), 1..1024. Default 64. */
  batchSize?: number;
  /** Bytes per slot, 1..65535: longer datagrams are dropped (counted in `truncated`), replies may use the whole slot. Default 4096. */
  slotSize?: number;
  /**
   * Deliver a datagram longer than a slot instead of dropping it: its first `slotSize` bytes, with
   * the length `slotSize + 1` (still counted in `truncated`). Enough to read a DNS header and
   * question, as an upstream socket needs to ask again over TCP. slotSize must then be below 65535.
   */
  keepTruncated?: boolean;
}

/**
 * One batch of datagrams, handed to the callback. The same object and the same memory are reused
 * for every batch of a socket: never keep `buf`, `lens`, `addrs` or a view of them past the callback.
 */
export interface Batch {
  /** Datagrams in this batch: slots 0..count-1. (Changing it has no effect: C keeps its own count.) */
  count: number;
  /** batchSize * slotSize bytes; datagram i is at i * slotSize. Write reply i in place there. */
  readonly buf: Buffer;
  /** In: the length of datagram i (`slotSize + 1`: longer than the slot, cut to it; only with `keepTruncated`). Out: the length of reply i (0 = no reply now; more than slotSize: not sent, counted in `rejected`). */
  readonly lens: Uint16Array;
  /** The raw sockaddr of sender i at i * ADDR_SLOT: decode with `addressOf`, copy for `sendTo`. */
  readonly addrs: Uint8Array;
  readonly slotSize: number;
}

export interface BatchSocketStats {
  /** Datagrams handed to JavaScript. */
  received: number;
  /** Replies the kernel accepted (batch replies and sendTo). */
  sent: number;
  /** Replies dropped: the send buffer was full (EAGAIN), or the kernel refused that one message. */
  sendDropped: number;
  /** Batch callbacks. */
  batches: number;
  /** Datagrams longer than slotSize: dropped unseen, or delivered cut with `keepTruncated`. */
  truncated: number;
  /** Replies whose length was set beyond slotSize, not sent. */
  rejected: number;
  /** Receive errors other than EAGAIN (the socket keeps going). */
  recvErrors: number;
}

/** A bound non-blocking UDP socket whose datagrams arrive in batches (see README). Linux only. */
export class BatchSocket {
  readonly port: number;
  readonly family: 4 | 6;
  readonly batchSize: number;
  readonly slotSize: number;
  readonly #native: NativeBinding;
  readonly #handle: NativeHandle;
  readonly #stats: Float64Array;
  #closed = false;

  private constructor(native: NativeBinding, handle: NativeHandle, stats: Float64Array, batchSize: number, slotSize: number) {
    this.#native = native;
    this.#handle = handle;
    this.#stats = stats;
    this.port = handle.port;
    this.family = handle.family;
    this.batchSize = batchSize;
    this.slotSize = slotSize;
  }

  /**
   * Creates and binds the socket, and starts reading. `onBatch` runs once per batch, from the event
   * loop like any I/O callback. When it returns, every slot i < count with 0 < lens[i] <= slotSize
   * is sent back to its sender (one sendmmsg). If it throws, nothing of that batch is sent and the
   * error is reported as an uncaught exception. Throws (code EADDRINUSE, ...) if the bind fails.
   */
  static open(opts: BatchSocketOptions, onBatch: (batch: Batch) => void): BatchSocket {
    if (binding === undefined) throw loadError!;
    if (typeof opts?.host !== 'string' || isIP(opts.host) === 0) {
      throw new TypeError(`host must be an IPv4 or IPv6 literal, got ${JSON.stringify(opts?.host)}`);
    }
    if (typeof onBatch !== 'function') throw new TypeError('onBatch must be a function');
    const batchSize = opts.batchSize ?? 64;
    const slotSize = opts.slotSize ?? 4096;
    const batch = { count: 0, slotSize } as Batch;
    // One closure for the socket's life: C passes the count, JavaScript sees the same Batch object.
    const deliver = (count: number): void => {
      batch.count = count;
      onBatch(batch);
    };
    // Types and ranges are checked in C (TypeError / RangeError).
    const handle = binding.open(opts.host, opts.port, opts.reusePort ?? false, opts.recvBufferSize ?? 0,
      opts.sendBufferSize ?? 0, batchSize, slotSize, opts.keepTruncated ?? false, deliver);
    const mem = handle.memory;
    Object.assign(batch, {
      buf: Buffer.from(mem, handle.bufOffset, batchSize * slotSize),
      lens: new Uint16Array(mem, handle.lensOffset, batchSize),
      addrs: new Uint8Array(mem, handle.addrsOffset, batchSize * ADDR_SLOT),
    });
    return new BatchSocket(binding, handle, new Float64Array(mem, handle.statsOffset, 8), batchSize, slotSize);
  }

  /**
   * Sends one datagram now (a reply to a miss, after its batch): `bytes` is copied by the kernel
   * before this returns. `addr` is a 28-byte copy of the sender's slot (`copyAddress`). Returns
   * false if it was dropped (send buffer full, or the socket is closed). Throws on a bad argument:
   * not a Uint8Array, bytes over 65535, addr not 28 bytes or not of this socket's family.
   */
  sendTo(bytes: Uint8Array, addr: Uint8Array): boolean {
    return this.#native.sendTo(this.#handle, bytes, addr);
  }

  /**
   * Like `sendTo`, but the datagram (copied now) goes out with the others queued in the same
   * event-loop turn, in one `sendmmsg` after the turn's I/O callbacks (a `setImmediate`), or when
   * `batchSize` are queued. A datagram longer than `slotSize` is sent at once. Returns false once
   * the socket is closed; a datagram the kernel refuses later is counted in `sendDropped`.
   */
  queueTo(bytes: Uint8Array, addr: Uint8Array): boolean {
    const queued = this.#native.queueTo(this.#handle, bytes, addr);
    if (queued && !this.#flushing) {
      this.#flushing = true;
      setImmediate(this.#flush);
    }
    return queued;
  }

  #flushing = false;
  readonly #flush = (): void => {
    this.#flushing = false;
    if (!this.#closed) this.#native.flush(this.#handle);
  };

  /** Stops delivery and closes the fd (the port is free when this returns); queued datagrams go out first. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#native.close(this.#handle);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Like dgram's: an unref'd socket does not keep the process alive. */
  ref(): this {
    this.#native.setRef(this.#handle, true);
    return this;
  }

  unref(): this {
    this.#native.setRef(this.#handle, false);
    return this;
  }

  /** A snapshot of the counters (read from memory the addon writes; no native call). */
  get stats(): BatchSocketStats {
    const s = this.#stats;
    return { received: s[0]!, sent: s[1]!, sendDropped: s[2]!, batches: s[3]!, truncated: s[4]!, rejected: s[5]!, recvErrors: s[6]! };
  }
}

/** A copy of sender i's address slot, to answer it later with `sendTo`. */
export function copyAddress(batch: Batch, i: number): Uint8Array {
  checkIndex(batch, i);
  return batch.addrs.slice(i * ADDR_SLOT, (i + 1) * ADDR_SLOT);
}

/** Decodes sender i of a batch (allocates: for misses and logging, not for the hit path). */
export function addressOf(batch: Batch, i: number): { address: string; port: number; family: 4 | 6 } {
  checkIndex(batch, i);
  return decodeAddress(batch.addrs, i * ADDR_SLOT);
}

function checkIndex(batch: Batch, i: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= batch.count) throw new RangeError(`slot ${i} is not in this batch (count ${batch.count})`);
}

// Linux's address family numbers and the host's byte order (sa_family is host order; ports and addresses are network order).
const AF_INET = 2;
const AF_INET6 = 10;
const LE = endianness() === 'LE';

/** Decodes a raw address slot (sockaddr_in or sockaddr_in6) at `offset`, e.g. one from `copyAddress`. */
export function decodeAddress(slot: Uint8Array, offset = 0): { address: string; port: number; family: 4 | 6 } {
  if (!Number.isInteger(offset) || offset < 0 || offset + ADDR_SLOT > slot.length) throw new RangeError('not a 28-byte address slot');
  const b = slot;
  const o = offset;
  const family = LE ? b[o]! | (b[o + 1]! << 8) : (b[o]! << 8) | b[o + 1]!;
  const port = (b[o + 2]! << 8) | b[o + 3]!;
  if (family === AF_INET) return { address: `${b[o + 4]}.${b[o + 5]}.${b[o + 6]}.${b[o + 7]}`, port, family: 4 };
  if (family !== AF_INET6) throw new RangeError(`not an address slot (family ${family})`);
  const groups: number[] = [];
  for (let g = 0; g < 8; g++) groups.push((b[o + 8 + 2 * g]! << 8) | b[o + 9 + 2 * g]!);
  const scope = LE
    ? (b[o + 24]! | (b[o + 25]! << 8) | (b[o + 26]! << 16) | (b[o + 27]! << 24)) >>> 0
    : ((b[o + 24]! << 24) | (b[o + 25]! << 16) | (b[o + 26]! << 8) | b[o + 27]!) >>> 0;
  return { address: formatIPv6(groups) + (scope !== 0 ? `%${scope}` : ''), port, family: 6 };
}

/**
 * The address slot (sockaddr_in or sockaddr_in6, 28 bytes) for an IP literal and port, to `sendTo`
 * an address that never sent us anything (an upstream). The inverse of `decodeAddress`. Read as
 * `open` reads its host (inet_pton; an IPv6 zone by index, `fe80::1%2`, or by interface name,
 * `fe80::1%eth0`). Throws RangeError for anything else, and the load error without the addon.
 */
export function encodeAddress(address: string, port: number): Uint8Array {
  if (binding === undefined) throw loadError!;
  if (typeof address !== 'string') throw new RangeError(`not an IP literal: ${String(address)}`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`not a port: ${port}`);
  const slot = address.length < 127 && !address.includes('\0') ? binding.encodeAddress(address, port) : null;
  if (slot === null) throw new RangeError(`not an IP literal (or no such interface): ${address}`);
  return slot;
}

/** RFC 5952 text: lower-case hex, the longest run (2+) of zero groups as '::', IPv4-mapped as ::ffff:a.b.c.d. */
function formatIPv6(g: number[]): string {
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
  }
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = (from: number, to: number) => g.slice(from, to).map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(0, 8) : `${hex(0, best)}::${hex(best + bestLen, 8)}`;
}
