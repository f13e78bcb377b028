// Loaded into a server under test with `node --import bench/lib/tail-probe.mjs` (bench/tail.mjs does
// it): what the process itself saw during a measured window, to split its tail latency into causes.
// On SIGUSR2 it writes one line `tail-probe {json}` to stderr and starts a new window:
//   gc:   pauses by kind (count, total and longest ms) from the 'gc' performance entries
//   loop: the event-loop delay histogram (monitorEventLoopDelay, 1 ms resolution: it samples how
//         late a 1 ms timer fires, so it sees stalls, not per-query queueing)
//   elu:  the event loop's utilization over the window (share of time spent outside the poll wait)
//   cpu:  user/system CPU ms and context switches (voluntary, involuntary) from process.resourceUsage
import { createHistogram, monitorEventLoopDelay, performance, PerformanceObserver, constants } from 'node:perf_hooks';

const KINDS = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak-callbacks',
};

let loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
let gc = {};
let gcHist = createHistogram();
let elu = performance.eventLoopUtilization();
let usage = process.resourceUsage();

new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = KINDS[e.detail?.kind ?? e.kind] ?? 'other';
    const g = (gc[kind] ??= { count: 0, totalMs: 0, maxMs: 0 });
    g.count++;
    g.totalMs += e.duration;
    if (e.duration > g.maxMs) g.maxMs = e.duration;
    gcHist.record(Math.max(1, Math.round(e.duration * 1000))); // µs
  }
}).observe({ entryTypes: ['gc'] });

const ms = (ns) => Math.round(ns / 1e3) / 1e3;

process.on('SIGUSR2', () => {
  const u = process.resourceUsage();
  const e = performance.eventLoopUtilization(elu);
  const out = {
    gc,
    gcPauseUs: gcHist.count > 0 ? { p50: gcHist.percentile(50), p99: gcHist.percentile(99), max: gcHist.max } : undefined,
    loop: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), p999: ms(loop.percentile(99.9)), max: ms(loop.max), count: loop.count },
    elu: Math.round(e.utilization * 1000) / 1000,
    cpu: {
      userMs: Math.round((u.userCPUTime - usage.userCPUTime) / 1000),
      systemMs: Math.round((u.systemCPUTime - usage.systemCPUTime) / 1000),
      voluntary: u.voluntaryContextSwitches - usage.voluntaryContextSwitches,
      involuntary: u.involuntaryContextSwitches - usage.involuntaryContextSwitches,
    },
    heapMb: Math.round(process.memoryUsage().heapUsed / 1048576),
  };
  process.stderr.write(`tail-probe ${JSON.stringify(out)}\n`);
  gc = {};
  gcHist = createHistogram();
  loop.disable();
  loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  elu = performance.eventLoopUtilization();
  usage = u;
});
