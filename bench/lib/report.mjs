// Markdown tables and bench/RESULTS.md.
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';

export function fmt(x, digits = 0) {
  if (x === undefined || x === null || Number.isNaN(x)) return '-';
  if (!Number.isFinite(x)) return '∞';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A ratio a/b with two decimals and an ×, '-' when either side is missing or zero. */
export function ratio(a, b) {
  if (!(a > 0) || !(b > 0) || !Number.isFinite(a) || !Number.isFinite(b)) return '-';
  return `${(a / b).toFixed(2)}×`;
}

/** A markdown table: `columns` are [header, align ('l'|'r'), row => cell]. */
export function table(columns, rows) {
  const head = `| ${columns.map((c) => c[0]).join(' | ')} |`;
  const sep = `|${columns.map((c) => (c[1] === 'r' ? '---:' : '---')).join('|')}|`;
  const body = rows.map((r) => `| ${columns.map((c) => c[2](r)).join(' | ')} |`);
  return [head, sep, ...body].join('\n');
}

const HEADER = `# dnsmesh benchmark results

Written by \`node bench/run.mjs\` (see bench/README.md): each section is one run, newest last.
Compare ratios within a section, not absolute numbers across sections (the machine drifts).
`;

export function appendResults(file, markdown) {
  if (!existsSync(file)) writeFileSync(file, HEADER);
  appendFileSync(file, `\n${markdown.trim()}\n`);
}

/**
 * The columns every max-throughput table starts with (a row from lib/measure.mjs): the server, its
 * qps, CPU seconds and share, qps per CPU-second and CPU µs per query (`usDigits` decimals).
 */
export function cpuColumns(usDigits = 1) {
  return [
    ['server', 'l', (r) => r.server],
    ['qps', 'r', (r) => fmt(r.qps)],
    ['server CPU-s', 'r', (r) => fmt(r.serverCpu, 2)],
    ['server CPU %', 'r', (r) => fmt(r.serverCpuPct)],
    ['qps / server CPU-s', 'r', (r) => fmt(r.qpsPerCpu)],
    ['µs CPU / query', 'r', (r) => fmt(r.usPerQuery, usDigits)],
  ];
}

/** The fixed-rate run's columns (`r.lat`, from measure() with `latency: true`) at `rate` qps. */
export function latencyColumns(rate) {
  const k = `${rate / 1000}k`;
  return [
    [`p50 µs @${k}`, 'r', (r) => fmt(r.lat.p50Us)],
    [`p99 µs @${k}`, 'r', (r) => fmt(r.lat.p99Us)],
    [`CPU % @${k}`, 'r', (r) => fmt(r.lat.serverCpuPct)],
  ];
}
