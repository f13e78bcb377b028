import type { Batch, BatchSocket } from '@dnsmesh/udp-batch';
import type { ClientInfo } from '../context.js';
import type { Edge, ReplySlot } from './edge.js';
import { sharedWithWorkers } from './listen.js';
import type { UdpCounts } from './metrics.js';
import { UDP_SOCKET_BUFFER } from './udp-listener.js';

type BatchModule = typeof import('@dnsmesh/udp-batch');
let loading: Promise<BatchModule | undefined> | undefined;

/**
 * The batched UDP transport when it can be had: an optional dependency (a native addon that may
 * not have built), so any failure to load means "use dgram".
 */
export function loadBatchTransport(): Promise<BatchModule | undefined> {
  loading ??= import('@dnsmesh/udp-batch').then((m) => (m.available ? m : undefined), () => undefined);
  return loading;
}

const ADDR_SLOT = 28;

/**
 * Who asked, decoded from the socket address only when someone looks (a hit never does). The
 * address stays in the batch's memory unless the query outlives the batch: then `detach` copies it.
 */
class BatchClient implements ClientInfo {
  readonly transport = 'udp' as const;
  #decoded: { address: string; port: number } | undefined;
  constructor(public addrs: Uint8Array, public offset: number, readonly family: 4 | 6, readonly module: BatchModule) {}
  get address(): string { return (this.#decoded ??= this.module.decodeAddress(this.addrs, this.offset)).address; }
  get port(): number { return (this.#decoded ??= this.module.decodeAddress(this.addrs, this.offset)).port; }
  detach(): void {
    if (this.offset === 0 && this.addrs.length === ADDR_SLOT) return;
    this.addrs = this.addrs.slice(this.offset, this.offset + ADDR_SLOT);
    this.offset = 0;
  }
  /** The address slot for sendTo. */
  get slot(): Uint8Array {
    this.detach();
    return this.addrs;
  }
}

/**
 * A UDP listener on the batched transport (recvmmsg/sendmmsg under libuv): one JavaScript call per
 * batch of datagrams. A query answered synchronously (a cache hit) is written into its own slot
 * and leaves with the batch's one sendmmsg (in a worker of `-workers N`, each worker has its own
 * SO_REUSEPORT socket and the kernel spreads queries across them); a query that waits (a miss) has its bytes copied out
 * by the edge before the batch memory is reused, and its reply is sent on its own when ready.
 */
export class BatchUdpListener {
  #socket: BatchSocket | undefined;
  readonly #slot: ReplySlot = { buf: Buffer.alloc(0), at: 0, max: 0 };

  constructor(readonly edge: Edge, readonly host: string, readonly port: number, readonly module: BatchModule) {}

  async listen(): Promise<void> {
    this.#socket = this.module.BatchSocket.open({ host: this.host, port: this.port, reusePort: sharedWithWorkers(this.port), batchSize: 64, slotSize: 4096, recvBufferSize: UDP_SOCKET_BUFFER, sendBufferSize: UDP_SOCKET_BUFFER }, (batch) => this.#onBatch(batch));
  }

  get address(): { host: string; port: number } {
    // Still known once closed (the metrics read it at scrape time).
    this.#port = this.#socket?.port ?? this.#port;
    return { host: this.host, port: this.#port ?? this.port };
  }

  #port: number | undefined;

  #onBatch(batch: Batch): void {
    const { buf, lens, addrs, slotSize } = batch;
    const socket = this.#socket!;
    const slot = this.#slot;
    slot.buf = buf;
    slot.max = slotSize;
    const family = socket.family;
    const edge = this.edge;
    const now = edge.clock.now(); // every datagram of the batch arrived with one recvmmsg
    for (let i = 0; i < batch.count; i++) {
      const at = i * slotSize;
      const client = new BatchClient(addrs, i * ADDR_SLOT, family, this.module);
      slot.at = at;
      const result = edge.handle(buf.subarray(at, at + lens[i]!), client, true, slot, now);
      if (typeof result === 'number') {
        lens[i] = result; // written in place by the edge
      } else if (result === undefined) {
        lens[i] = 0;
      } else if (result instanceof Promise) {
        lens[i] = 0;
        const addr = client.slot; // copied by the edge before the batch memory moves on
        // Replies to misses land in I/O callbacks (upstream replies): the turn's go out together, one sendmmsg.
        result.then((reply) => { if (reply !== undefined && !socket.closed) socket.queueTo(reply, addr); }, () => {});
      } else {
        lens[i] = 0;
        socket.sendTo(result, client.slot);
      }
    }
  }

  /** Replies the kernel refused (a full send buffer). */
  get dropped(): number {
    return this.#socket?.stats.sendDropped ?? 0;
  }

  /** What the socket counted (dnsmesh_udp_* metrics); the last figures stay once it is closed. */
  get counts(): UdpCounts {
    const socket = this.#socket;
    if (socket !== undefined) {
      const s = socket.stats;
      this.#last = { sendFailures: s.sendDropped + s.rejected, batches: s.batches, datagrams: s.received };
    }
    return this.#last;
  }

  #last: UdpCounts = { sendFailures: 0, batches: 0, datagrams: 0 };

  close(): Promise<void> {
    this.#socket?.close();
    this.#socket = undefined;
    return Promise.resolve();
  }
}
