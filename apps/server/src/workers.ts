import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { setMetricsSource } from '@dnsmesh/core';
import type { Logger } from 'pino';
import { AggregatorRegistry, type Registry } from 'prom-client';

/** How many worker processes `-workers` asks for (`auto`: one per core). */
export function workerCount(flag: number | 'auto'): number {
  return flag === 'auto' ? availableParallelism() : flag;
}

interface MetricsRequest { readonly type: 'dnsmesh:metrics'; readonly id: number }
interface MetricsReply { readonly type: 'dnsmesh:metrics'; readonly id: number; readonly text?: string; readonly error?: string }

/**
 * The primary of `dnsmesh -workers N`: it binds nothing itself. It forks N workers that each run
 * the whole server from the same Corefile (UDP: one SO_REUSEPORT socket each on the batched
 * transport, or the primary's shared socket on dgram; TCP: connections handed round by the
 * primary), sums their metrics for whichever worker a scrape reaches, passes SIGHUP and SIGUSR1
 * on, replaces a worker that dies, and on SIGTERM stops them all and exits 0 once they are gone.
 * Each worker has its own cache.
 */
export function runPrimary(n: number, logger: Logger, onReady: () => void): Promise<number> {
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  let ready = 0;
  const fork = (): Worker => {
    const worker = cluster.fork({ DNSMESH_WORKER: '1' });
    worker.on('message', (msg: { type?: string; id?: unknown }) => {
      if (msg?.type === 'dnsmesh:ready' && ++ready === n) onReady();
      const id = msg?.id;
      if (msg?.type === 'dnsmesh:metrics' && typeof id === 'number') {
        aggregator.clusterMetrics().then(
          (text) => worker.send({ type: 'dnsmesh:metrics', id, text } satisfies MetricsReply),
          (err: Error) => worker.send({ type: 'dnsmesh:metrics', id, error: err.message } satisfies MetricsReply),
        );
      }
    });
    return worker;
  };
  for (let i = 0; i < n; i++) fork();
  return new Promise((resolve) => {
    cluster.on('exit', (worker, code, signal) => {
      if (stopping) {
        if (Object.keys(cluster.workers ?? {}).length === 0) resolve(0);
        return;
      }
      if (ready < n) {
        // A worker that fails before it serves (a port in use): stop, do not loop.
        logger.error({ pid: worker.process.pid, code, signal }, 'a worker failed to start');
        stop();
        return;
      }
      logger.error({ pid: worker.process.pid, code, signal }, 'a worker died; starting another');
      fork();
    });
    const each = (signal: NodeJS.Signals) => { for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal); };
    const stop = () => {
      if (stopping) return;
      stopping = true;
      each('SIGTERM');
      setTimeout(() => { each('SIGKILL'); resolve(0); }, 5500).unref();
      if (Object.keys(cluster.workers ?? {}).length === 0) resolve(0);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    process.on('SIGHUP', () => each('SIGHUP'));
    process.on('SIGUSR1', () => each('SIGUSR1'));
  });
}

/**
 * In a worker: report readiness, let the primary read this worker's registry, and answer scrapes
 * with the sum over all workers (asked of the primary).
 */
export function joinPrimary(registry: Registry): void {
  // prom-client answers the primary's requests only once an AggregatorRegistry exists in the worker.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  let next = 0;
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void }>();
  process.on('message', (msg: Partial<MetricsReply>) => {
    if (msg?.type !== 'dnsmesh:metrics' || typeof msg.id !== 'number') return;
    const w = waiting.get(msg.id);
    if (w === undefined) return;
    waiting.delete(msg.id);
    if (msg.text !== undefined) w.resolve(msg.text);
    else w.reject(new Error(msg.error ?? 'no metrics from the primary'));
  });
  setMetricsSource(() => new Promise((resolve, reject) => {
    const id = ++next;
    waiting.set(id, { resolve, reject });
    process.send!({ type: 'dnsmesh:metrics', id } satisfies MetricsRequest);
  }));
  process.send!({ type: 'dnsmesh:ready' });
}

export const isWorker = cluster.isWorker;
