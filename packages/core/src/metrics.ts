import { Counter, Gauge, type Registry } from 'prom-client';

/** One series: its label values and its value. */
export type Sample = readonly [labels: Record<string, string>, value: number];
/** Reads plain counters at scrape time (the hot path only bumps number fields). */
export type SampleSource = () => Iterable<Sample>;

/** Every metric's sources, per registry and name: one metric, however many plugin instances feed it. */
const shared = new WeakMap<Registry, Map<string, Set<unknown>>>();

/**
 * Adds `source` to the metric `name` of `registry`; the first source makes the metric
 * (`create` registers it, reading the live set at scrape time). Returns what removes the source.
 */
function addSource<S>(registry: Registry, name: string, source: S, create: (sources: Set<S>) => void): () => void {
  let byName = shared.get(registry);
  if (byName === undefined) { byName = new Map(); shared.set(registry, byName); }
  let sources = byName.get(name) as Set<S> | undefined;
  if (sources === undefined) {
    const created = new Set<S>();
    sources = created;
    byName.set(name, created);
    create(created);
  }
  const mine = sources;
  mine.add(source);
  return () => { mine.delete(source); };
}

/**
 * Registers a source for a metric that several plugin instances (one per server block) feed:
 * the metric is created once per registry and, at scrape time, sums what every source reports.
 * The metric exists (at 0 for series without labels) as soon as the first source is registered.
 * Returns a function that removes the source (a plugin being stopped, e.g. on reload).
 */
export function publishMetric(
  registry: Registry, kind: 'counter' | 'gauge', name: string, help: string,
  labelNames: readonly string[], source: SampleSource,
  /** How `-workers N` combines the workers' values (prom-client's aggregators); default sum. */
  aggregator: 'sum' | 'first' | 'max' | 'min' | 'average' = 'sum',
): () => void {
  return addSource(registry, name, source, (sources) => {
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
    const config = { name, help, labelNames: [...labelNames], registers: [registry], collect, aggregator };
    if (kind === 'counter') new Counter(config);
    else new Gauge(config);
  });
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

/**
 * A histogram's counts, bumped on the hot path with no allocation and no label lookup (prom-client's
 * `observe` hashes its labels on every call: a sixth of a cache hit's CPU), read at scrape time.
 */
export class HistogramCounts {
  /** Observations per bucket, not cumulative; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]! += 1;
    this.sum += value;
    this.count++;
  }
}

/** One histogram series: its label values and its counts. */
export type HistogramSample = readonly [labels: Record<string, string>, counts: HistogramCounts];
export type HistogramSource = () => Iterable<HistogramSample>;

interface MetricValue { labels: Record<string, string | number>; value: number; metricName: string }

/**
 * Registers a source for a histogram that several plugin instances feed, like `publishMetric`:
 * one metric per registry and name, summing every source's series with the same labels at scrape
 * time. It is a metric object of prom-client's own shape (`get()` giving `_bucket`, `_sum` and
 * `_count` values, aggregator `sum`), so the registry prints it and `-workers N` sums it across
 * workers as it does prom-client's Histogram. Every source must use the same bounds.
 */
export function publishHistogram(
  registry: Registry, name: string, help: string, labelNames: readonly string[],
  bounds: readonly number[], source: HistogramSource,
): () => void {
  return addSource(registry, name, source, (sources) => {
    const metric = {
      name, help, type: 'histogram', aggregator: 'sum', labelNames: [...labelNames],
      reset(): void {},
      get: async () => ({ name, help, type: 'histogram', aggregator: 'sum', values: histogramValues(name, labelNames, bounds, sources) }),
    };
    registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
  });
}

/** The summed series of every source, as prom-client lays a histogram out: buckets (cumulative), sum, count. */
function histogramValues(name: string, labelNames: readonly string[], bounds: readonly number[], sources: Set<HistogramSource>): MetricValue[] {
  const sums = new Map<string, { labels: Record<string, string>; counts: Float64Array; sum: number; count: number }>();
  for (const read of sources) {
    for (const [labels, h] of read()) {
      const key = labelNames.map((l) => labels[l] ?? '').join('\u0000');
      let seen = sums.get(key);
      if (seen === undefined) { seen = { labels, counts: new Float64Array(bounds.length + 1), sum: 0, count: 0 }; sums.set(key, seen); }
      for (let i = 0; i < seen.counts.length; i++) seen.counts[i]! += h.counts[i] ?? 0;
      seen.sum += h.sum;
      seen.count += h.count;
    }
  }
  const values: MetricValue[] = [];
  for (const { labels, counts, sum, count } of sums.values()) {
    let cumulative = 0;
    for (let i = 0; i <= bounds.length; i++) {
      cumulative += counts[i]!;
      values.push({ labels: { ...labels, le: i < bounds.length ? bounds[i]! : '+Inf' }, value: cumulative, metricName: `${name}_bucket` });
    }
    values.push({ labels, value: sum, metricName: `${name}_sum` });
    values.push({ labels, value: count, metricName: `${name}_count` });
  }
  return values;
}
