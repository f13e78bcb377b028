import type { HttpGet } from './http.js';

/**
 * At most `size` plain reads in flight at once. The wait for a slot does not count against a
 * request's timeout (it starts when the read does); an abort while waiting leaves the queue.
 * Low-priority requests (index probes) get a slot only when no view read waits, so a sweep of
 * probes never delays a read of a view that changed.
 */
export class ReadPool {
  #active = 0;
  readonly #queue: Array<() => void> = [];
  readonly #low: Array<() => void> = [];
  /** The most reads ever in flight at once (for tests and the README's figures). */
  peak = 0;

  constructor(readonly size: number) {}

  get waiting(): number {
    return this.#queue.length + this.#low.length;
  }

  /** `get` behind the pool; `low` requests yield to the others. */
  wrap(get: HttpGet, low = false): HttpGet {
    return async (path, opts) => {
      await this.#acquire(opts.signal, low ? this.#low : this.#queue);
      try {
        return await get(path, opts);
      } finally {
        this.#release();
      }
    };
  }

  #acquire(signal: AbortSignal, queue: Array<() => void>): Promise<void> {
    if (this.#active < this.size && this.#queue.length === 0 && (queue === this.#queue || this.#low.length === 0)) { this.#take(); return Promise.resolve(); }
    return new Promise((resolve, reject) => {
      const go = (): void => { signal.removeEventListener('abort', onAbort); this.#take(); resolve(); };
      const onAbort = (): void => {
        const i = queue.indexOf(go);
        if (i >= 0) queue.splice(i, 1);
        const err = new Error('aborted');
        err.name = 'AbortError';
        reject(err);
      };
      queue.push(go);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  #take(): void {
    this.#active++;
    this.peak = Math.max(this.peak, this.#active);
  }

  #release(): void {
    this.#active--;
    const next = this.#queue.shift() ?? this.#low.shift();
    if (next !== undefined) next();
  }
}
