import { Counter, Gauge, type Registry } from 'prom-client';

/** One series: its label values and its value. */
export type Sample = readonly [labels: Record<string, string>, value: number];
/** Reads plain counters at scrape time (the hot path only bumps number fields). */
export type SampleSource = () => Iterable<Sample>;

interface Shared { readonly sources: Set<SampleSource> }
const shared = new WeakMap<Registry, Map<string, Shared>>();

/**
 * Registers a source for a metric that several plugin instances (one per server block) feed:
 * the metric is created once per registry and, at scrape time, sums what every source reports.
 * The metric exists (at 0 for series without labels) as soon as the first source is registered.
 * Returns a function that removes the source (a plugin being stopped, e.g. on reload).
 */
export function publishMetric(
  registry: Registry, kind: 'counter' | 'gauge', name: string, help: string,
  labelNames: readonly string[], source: SampleSource,
): () => void {
  let byName = shared.get(registry);
  if (byName === undefined) { byName = new Map(); shared.set(registry, byName); }
  let entry = byName.get(name);
  if (entry === undefined) {
    const sources = new Set<SampleSource>();
    entry = { sources };
    byName.set(name, entry);
    const collect = function (this: Counter<string> | Gauge<string>) {
      this.reset();
      const sums = new Map<string, [Record<string, string>, number]>();
      for (const read of sources) {
        for (const [labels, value] of read()) {
          const key = labelNames.map((l) => labels[l] ?? '').join('\u0000');
          const seen = sums.get(key);
          if (seen === undefined) sums.set(key, [labels, value]);
          else seen[1] += value;
        }
      }
      for (const [labels, value] of sums.values()) {
        if (this instanceof Counter) this.inc(labels, value);
        else this.set(labels, value);
      }
    };
    const config = { name, help, labelNames: [...labelNames], registers: [registry], collect };
    if (kind === 'counter') new Counter(config);
    else new Gauge(config);
  }
  entry.sources.add(source);
  const sources = entry.sources;
  return () => { sources.delete(source); };
}

/**
 * Where the Prometheus text of a registry comes from. By default the registry itself; in a worker
 * of `dnsmesh -workers N` the server replaces it with the sum over every worker (asked of the
 * primary process), so a scrape of any worker sees the whole server.
 */
let textSource: ((registry: Registry) => Promise<string>) | undefined;

export function setMetricsSource(source: ((registry: Registry) => Promise<string>) | undefined): void {
  textSource = source;
}

export function metricsText(registry: Registry): Promise<string> {
  return textSource !== undefined ? textSource(registry) : registry.metrics();
}
