import type { Instant } from '@dnsmesh/core';

/** One client prefix: a token bucket and the count of its limited replies (for slip). */
export interface Bucket {
  tokens: number;
  /** When the tokens were last topped up. */
  at: Instant;
  /** Limited replies so far (every `slip`th slips). */
  limited: number;
}

/** An entry moves to the young end of the table at most this often (a Map re-insert per query costs). */
const TOUCH_EVERY = 1000;

/**
 * Token buckets by prefix key, at most `capacity` of them. A Map keeps insertion order; a bucket
 * used again after a second is moved to the young end, and the oldest goes when the table is full,
 * so a flood of forged prefixes forgets quiet prefixes first. A forgotten prefix starts again
 * with a full bucket (as in BIND's RRL table).
 */
export class BucketTable {
  readonly #map = new Map<string, Bucket & { touched: Instant }>();
  evictions = 0;

  constructor(readonly capacity: number, readonly burst: number) {}

  get(key: string, now: Instant): Bucket {
    let b = this.#map.get(key);
    if (b === undefined) {
      if (this.#map.size >= this.capacity) {
        this.#map.delete(this.#map.keys().next().value!);
        this.evictions++;
      }
      b = { tokens: this.burst, at: now, limited: 0, touched: now };
      this.#map.set(key, b);
    } else if (now - b.touched >= TOUCH_EVERY) {
      this.#map.delete(key);
      this.#map.set(key, b);
      b.touched = now;
    }
    return b;
  }

  get size(): number {
    return this.#map.size;
  }
}
