// Reading a server's Prometheus /metrics (dnsmesh's `prometheus` plugin) from the harness.

/** The series of `name` as { '{labels}': value } ('value' for the unlabelled one); undefined if unreachable. */
export async function metricSeries(metricsPort, name) {
  if (metricsPort === undefined) return undefined;
  try {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    const out = {};
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
      const at = line.lastIndexOf(' ');
      out[line.slice(name.length, at) || 'value'] = Number(line.slice(at + 1));
    }
    return out;
  } catch { return undefined; }
}

/** The sum of every series of `name`; undefined if unreachable. */
export async function metricSum(metricsPort, name) {
  const series = await metricSeries(metricsPort, name);
  return series === undefined ? undefined : Object.values(series).reduce((a, b) => a + b, 0);
}
