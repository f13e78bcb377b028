// Running dnsperf (pinned to the client core) and reading what it prints.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { reapedChildrenCpuSeconds, spawnPinned, stop } from './procs.mjs';
import { CLIENT_CPU } from './servers.mjs';

/** Writes a dnsperf data file ("NAME TYPE" a line) into `dir`. */
export function queryFile(dir, name, lines) {
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/**
 * One dnsperf run against 127.0.0.1:port. Options: file, seconds (-l, always set), clients (-c),
 * outstanding (-q), qps (-Q), edns (-e), runs (-n, for a warm-up pass), latency (collect every
 * query's latency from -v output for percentiles).
 * Returns dnsperf's statistics, the latencies' p50/p99 in µs, and dnsperf's own CPU seconds.
 */
export async function dnsperf(port, o) {
  const args = ['-s', '127.0.0.1', '-p', String(port), '-d', o.file, '-l', String(o.seconds ?? 10), '-T', '1',
    '-c', String(o.clients ?? 10), '-q', String(o.outstanding ?? 100), '-t', String(o.timeout ?? 2)];
  if (o.qps) args.push('-Q', String(o.qps));
  if (o.edns) args.push('-e');
  if (o.runs) args.push('-n', String(o.runs));
  if (o.latency) args.push('-v');
  const cpuBefore = reapedChildrenCpuSeconds();
  const child = spawnPinned(CLIENT_CPU, 'dnsperf', args, { label: 'dnsperf' });
  // A hard stop well after -l, should dnsperf ever hang.
  const guard = setTimeout(() => stop(child, 1000), ((o.seconds ?? 10) + 30) * 1000);
  const latencies = [];
  let stats = '';
  const rl = createInterface({ input: child.stdout });
  rl.on('line', (line) => {
    if (line.startsWith('> ')) {
      if (o.latency) latencies.push(Number(line.slice(line.lastIndexOf(' ') + 1)));
    } else {
      stats += `${line}\n`;
    }
  });
  const code = await child.exited;
  clearTimeout(guard);
  if (code !== 0) throw new Error(`dnsperf ${args.join(' ')} exited ${code}:\n${child.err}${stats}`);
  const cpu = reapedChildrenCpuSeconds() - cpuBefore;
  const num = (re) => { const m = re.exec(stats); return m ? Number(m[1]) : NaN; };
  const result = {
    command: `dnsperf ${args.join(' ')}`,
    sent: num(/Queries sent:\s+(\d+)/),
    completed: num(/Queries completed:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    runTime: num(/Run time \(s\):\s+([\d.]+)/),
    qps: num(/Queries per second:\s+([\d.]+)/),
    avgLatencyUs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1e6,
    rcodes: /Response codes:\s+(.*)/.exec(stats)?.[1] ?? '',
    clientCpu: cpu,
  };
  if (o.latency && latencies.length > 0) {
    const sorted = Float64Array.from(latencies).sort();
    const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] * 1e6;
    result.p50Us = pct(0.5);
    result.p99Us = pct(0.99);
    result.latencies = latencies; // seconds, in the order dnsperf reported the answers
  }
  return result;
}
