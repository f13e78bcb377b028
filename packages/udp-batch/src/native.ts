import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** What `open` returns: an opaque handle (type-tagged in C) carrying the shared memory's layout. */
export interface NativeHandle {
  /** stats (8 float64) | lens (batch u16) | addrs (batch x 28 bytes) | buf (batch x slot bytes) */
  readonly memory: ArrayBuffer;
  readonly statsOffset: number;
  readonly lensOffset: number;
  readonly addrsOffset: number;
  readonly bufOffset: number;
  readonly port: number;
  readonly family: 4 | 6;
}

/** The addon's exports (src/udp_batch.c). Every argument is checked in C. */
export interface NativeBinding {
  open(
    host: string, port: number, reusePort: boolean, recvBufferSize: number, sendBufferSize: number,
    batchSize: number, slotSize: number, keepTruncated: boolean, onBatch: (count: number) => void,
  ): NativeHandle;
  sendTo(handle: NativeHandle, bytes: Uint8Array, addr: Uint8Array): boolean;
  queueTo(handle: NativeHandle, bytes: Uint8Array, addr: Uint8Array): boolean;
  flush(handle: NativeHandle): void;
  close(handle: NativeHandle): void;
  setRef(handle: NativeHandle, ref: boolean): void;
  /** The 28-byte address slot for an IP literal and port (a zone by index or name), or null. */
  encodeAddress(host: string, port: number): Uint8Array | null;
  readonly ADDR_SLOT: number;
  readonly MAX_BATCH: number;
  readonly MAX_SLOT: number;
}

export type Loaded = { binding: NativeBinding; error: undefined } | { binding: undefined; error: Error };

/** The package's root (this file is in src/ or dist/). */
export const packageRoot = fileURLToPath(new URL('..', import.meta.url));

/** Loads `build/Release/udp_batch.node` under `root`; never throws. */
export function loadBinding(root: string = packageRoot): Loaded {
  const file = path.join(root, 'build', 'Release', 'udp_batch.node');
  try {
    if (process.platform !== 'linux') throw new Error(`Linux only (this is ${process.platform})`);
    const binding = createRequire(import.meta.url)(file) as NativeBinding;
    return { binding, error: undefined };
  } catch (cause) {
    const why = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    const error = new Error(`@dnsmesh/udp-batch: native addon not available (${file}): ${why}`, { cause });
    return { binding: undefined, error };
  }
}
