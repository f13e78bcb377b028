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
