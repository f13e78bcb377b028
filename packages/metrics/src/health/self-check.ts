import { HistogramCounts, publishHistogram, publishMetric, type ServerBlock } from '@dnsmesh/core';
import { get } from 'node:http';

/** CoreDNS's buckets for the health self-check: 0.25 ms, then ×10 (to 2.5 s). */
export const SELF_CHECK_BUCKETS: readonly number[] = [0.00025, 0.0025, 0.025, 0.25, 2.5];
/** How often the endpoint asks itself, as CoreDNS. */
export const SELF_CHECK_INTERVAL = 1000;

/**
 * Asks `url/health` once a second, as CoreDNS's health plugin does, and publishes how long it took
 * (`dnsmesh_health_request_duration_seconds`) and how often it failed
 * (`dnsmesh_health_request_failures_total`): a slow or failing self-check shows a process too busy
 * to serve its own endpoint. Returns what stops it.
 */
export function startSelfCheck(url: string, block: ServerBlock): () => void {
  const duration = new HistogramCounts(SELF_CHECK_BUCKETS);
  let failures = 0;
  let busy = false;
  const check = (): void => {
    if (busy) return; // one probe at a time: a stuck one is not joined by more
    busy = true;
    const began = performance.now();
    const done = (ok: boolean): void => {
      busy = false;
      if (ok) duration.observe((performance.now() - began) / 1000);
      else failures++;
    };
    const req = get(`${url}/health`, { timeout: SELF_CHECK_INTERVAL }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => done(false));
  };
  const timer = setInterval(check, SELF_CHECK_INTERVAL).unref();
  const offs = [
    publishHistogram(block.metrics, 'dnsmesh_health_request_duration_seconds', 'Time the health endpoint took to answer its own once-a-second check (seconds).',
      [], SELF_CHECK_BUCKETS, () => [[{}, duration]]),
    publishMetric(block.metrics, 'counter', 'dnsmesh_health_request_failures_total', 'Self-checks of the health endpoint that failed or timed out.',
      [], () => [[{}, failures]]),
  ];
  return () => {
    clearInterval(timer);
    for (const off of offs) off();
  };
}
