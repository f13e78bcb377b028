/**
 * Slabs of memory that hold many entries' wire images, so an entry costs a view on a slab and its
 * bytes, not an ArrayBuffer and a backing store of its own (about 250 bytes each, several times a
 * small reply). Bytes are only ever appended: a slab's memory is never written again once an entry
 * is in it, so a reply still being written from a removed entry's view reads the bytes it had.
 * A slab is let go (to the GC, once no view is left) when its last entry leaves; the store moves
 * the few entries left in a mostly empty slab into the current one (`sparse`), so freed bytes come
 * back without waiting for every neighbour to go.
 */
export class Slab {
  /** Bytes handed out so far (the next entry goes at this offset). */
  used = 0;
  /** Bytes of entries still in the store. */
  live = 0;
  readonly memory: Buffer;

  constructor(size: number) {
    this.memory = Buffer.allocUnsafeSlow(size);
  }
}

/** Bytes per slab: a thousand small replies, and a block malloc hands back whole. */
export const SLAB_SIZE = 64 * 1024;
/** Images larger than this get memory of their own (the view's cost is small beside them). */
export const LARGEST_IN_SLAB = 4096;

/** The slabs of one store. */
export class SlabPool {
  #current: Slab | undefined;
  /** Every slab holding an entry, by its memory (an entry finds its slab from its view). */
  readonly #slabs = new Map<ArrayBufferLike, Slab>();
  #waste = 0;

  /**
   * Bytes the pool's full slabs hold that no entry uses (freed, not yet given back): part of what
   * the store's budget counts, since the process still holds them. The slab being filled is a
   * fixed cost of the store (SLAB_SIZE at most, as a map's table), not counted here.
   */
  get waste(): number {
    const current = this.#current;
    return current === undefined ? this.#waste : this.#waste - (current.used - current.live);
  }

  /** Slabs holding at least one entry, and the one being filled. */
  get slabs(): number {
    return this.#slabs.size;
  }

  /** A view on a copy of `src` in the current slab (a new one when it is full), counted as live. */
  copy(src: Uint8Array): Buffer {
    const n = src.length;
    let slab = this.#current;
    if (slab === undefined || slab.used + n > SLAB_SIZE) {
      if (slab !== undefined && slab.live === 0) this.#drop(slab);
      slab = new Slab(SLAB_SIZE);
      this.#current = slab;
      this.#slabs.set(slab.memory.buffer, slab);
    }
    const at = slab.used;
    slab.memory.set(src, at);
    slab.used = at + n;
    slab.live += n;
    return slab.memory.subarray(at, at + n);
  }

  /** The bytes of `view` (from `copy`) are no longer used by any entry. */
  free(view: Buffer): void {
    const slab = this.#slabs.get(view.buffer);
    if (slab === undefined) return; // not one of ours (never happens: an entry frees only what it placed)
    slab.live -= view.length;
    this.#waste += view.length;
    // The slab being filled stays (an entry replaced again and again would otherwise make a slab each time).
    if (slab.live === 0 && slab !== this.#current) this.#drop(slab);
  }

  /** True when the slab of `view` is less than half used (and not the one being filled): its entries should move. */
  sparse(view: Buffer): boolean {
    const slab = this.#slabs.get(view.buffer);
    return slab !== undefined && slab !== this.#current && slab.live * 2 < slab.used;
  }

  /** True when `view` is in the slab being filled. */
  isCurrent(view: Buffer): boolean {
    return this.#current !== undefined && view.buffer === this.#current.memory.buffer;
  }

  #drop(slab: Slab): void {
    this.#waste -= slab.used;
    this.#slabs.delete(slab.memory.buffer);
  }
}
