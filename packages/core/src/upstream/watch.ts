import { UpstreamAborted, UpstreamTimeout } from './errors.js';
import type { ExchangeOptions } from './options.js';
import type { UpstreamStats } from './stats.js';

/** An exchange as its watch sees it: whether it is over, and how to end it with an error. */
export interface WatchedExchange {
  readonly settled: boolean;
  /** Ends the exchange (it unhooks its watch). */
  finish(err: Error): void;
  /** Its upstream ("127.0.0.1:53"), for the error; read only when one is made. */
  readonly label: string;
}

/**
 * The ways an exchange ends early, wired the same for UDP and TCP: its timeout, `signal` and
 * `cancel`. Each counts itself and ends the exchange with its error, unless it is already over.
 * `unhook()` when the exchange settles (and once more after the constructor returns when `cancel`
 * stopped it at once). A timeout of `Infinity` sets no timer: the caller ends the exchange with
 * `cancel` or `signal` (the forward plugin, whose one timer per query ends its tries).
 * One object per exchange; closures only for what asks for a function (`cancel`, `signal`).
 */
export class ExchangeWatch {
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #signal: AbortSignal | undefined;
  #onAbort: (() => void) | undefined;

  constructor(opts: ExchangeOptions, readonly stats: UpstreamStats, readonly exchange: WatchedExchange) {
    const timeout = opts.timeout;
    // Whole ms: Node keeps one timer list per distinct duration.
    this.#timer = timeout === Infinity ? undefined : setTimeout(expire, Math.ceil(timeout), this, timeout);
    const signal = opts.signal;
    this.#signal = signal;
    if (signal !== undefined) {
      this.#onAbort = () => this.stop(signal.reason);
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
    opts.cancel?.((reason) => this.stop(reason));
  }

  /** Ends the exchange as aborted (its signal, or `cancel`), unless it is over. */
  stop(reason: unknown): void {
    const x = this.exchange;
    if (x.settled) return;
    this.stats.aborts++;
    x.finish(new UpstreamAborted(x.label, reason));
  }

  unhook(): void {
    clearTimeout(this.#timer);
    if (this.#onAbort !== undefined) {
      this.#signal!.removeEventListener('abort', this.#onAbort);
      this.#onAbort = undefined;
    }
  }
}

function expire(w: ExchangeWatch, timeout: number): void {
  const x = w.exchange;
  if (x.settled) return;
  w.stats.timeouts++;
  x.finish(new UpstreamTimeout(x.label, timeout));
}

/** `ExchangeWatch` for an exchange kept in closures (TCP's): returns what unhooks it. */
export function watchExchange(
  opts: ExchangeOptions, label: string, stats: UpstreamStats, settled: () => boolean, end: (err: Error) => void,
): () => void {
  const w = new ExchangeWatch(opts, stats, {
    get settled() { return settled(); },
    finish: end,
    label,
  });
  return () => w.unhook();
}
