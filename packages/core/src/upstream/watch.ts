import { UpstreamAborted, UpstreamTimeout } from './errors.js';
import type { ExchangeOptions } from './options.js';
import type { UpstreamStats } from './stats.js';

/**
 * The ways an exchange ends early, wired the same for UDP and TCP: its timeout, `signal` and
 * `cancel`. Each counts itself and calls `end` with its error, unless `settled()` says the exchange
 * is over. Returns what unhooks them all: call it when the exchange settles (and once more after
 * this returns when `cancel` stopped it at once, before it was returned).
 */
export function watchExchange(
  opts: ExchangeOptions, label: string, stats: UpstreamStats, settled: () => boolean, end: (err: Error) => void,
): () => void {
  const signal = opts.signal;
  const stop = (reason: unknown): void => {
    if (settled()) return;
    stats.aborts++;
    end(new UpstreamAborted(label, reason));
  };
  const onAbort = (): void => stop(signal!.reason);
  const timer = setTimeout(() => {
    if (settled()) return;
    stats.timeouts++;
    end(new UpstreamTimeout(label, opts.timeout));
  }, Math.ceil(opts.timeout)); // whole ms: Node keeps one timer list per distinct duration
  signal?.addEventListener('abort', onAbort, { once: true });
  opts.cancel?.(stop);
  return () => {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  };
}
