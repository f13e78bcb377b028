import type { HttpGet } from './http.js';

/**
 * At most `size` plain reads in flight at once. The wait for a slot does not count against a
 * request's timeout (it starts when the read does); an abort while waiting leaves the queue.
 */
export class ReadPool {
  #active = 0;
  readonly #queue: Array<() => void> = [];
  /** The most reads ever in flight at once (for tests and the README's figures). */
  peak = 0;

  constructor(readonly size: number) {}

  get waiting(): number {
    return this.#queue.length;
  }

  /** `get` behind the pool. */
  wrap(get: HttpGet): HttpGet {
    return async (path, opts) => {
      await this.#acquire(opts.signal);
      try {
        return await get(path, opts);
      } finally {
        this.#release();
      }
    };
  }

  #acquire(signal: AbortSignal): Promise<void> {
    if (this.#active < this.size) { this.#take(); return Promise.resolve(); }
    return new Promise((resolve, reject) => {
      const go = (): void => { signal.removeEventListener('abort', onAbort); this.#take(); resolve(); };
      const onAbort = (): void => {
        const i = this.#queue.indexOf(go);
        if (i >= 0) this.#queue.splice(i, 1);
        const err = new Error('aborted');
        err.name = 'AbortError';
        reject(err);
      };
      this.#queue.push(go);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  #take(): void {
    this.#active++;
    this.peak = Math.max(this.peak, this.#active);
  }

  #release(): void {
    this.#active--;
    const next = this.#queue.shift();
    if (next !== undefined) next();
  }
}
