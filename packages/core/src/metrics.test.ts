import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HistogramCounts, publishHistogram } from './metrics.js';

describe('publishHistogram', () => {
  it('counts observations per bucket and prints cumulative buckets, sum and count, summed over sources', async () => {
    const registry = new Registry();
    const a = new HistogramCounts([0.1, 1]);
    const b = new HistogramCounts([0.1, 1]);
    const c = new HistogramCounts([0.1, 1]);
    a.observe(0.05);
    a.observe(0.1); // a bound is inclusive (le)
    a.observe(5);
    b.observe(0.5);
    c.observe(0.5);
    const offA = publishHistogram(registry, 'h_seconds', 'help', ['zone'], [0.1, 1], () => [[{ zone: 'x.' }, a]]);
    publishHistogram(registry, 'h_seconds', 'help', ['zone'], [0.1, 1], () => [[{ zone: 'x.' }, b], [{ zone: 'y.' }, c]]);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE h_seconds histogram');
    expect(text).toContain('h_seconds_bucket{zone="x.",le="0.1"} 2\nh_seconds_bucket{zone="x.",le="1"} 3\nh_seconds_bucket{zone="x.",le="+Inf"} 4\nh_seconds_sum{zone="x."} 5.65\nh_seconds_count{zone="x."} 4');
    expect(text).toContain('h_seconds_count{zone="y."} 1');
    offA();
    expect(await registry.metrics()).toContain('h_seconds_count{zone="x."} 1');
  });
});
