// dnsmesh from a bench/peers/ Corefile template with extra directives added to its server block
// (e.g. `prometheus 127.0.0.1:PORT`, `log`), and its stdout (where `log` writes) sent to a file
// rather than to the harness: `sh -c 'exec node ... >FILE'` under taskset, so the pid (and the CPU
// read from /proc) is dnsmesh's own and the harness never spends CPU reading the query log.
// Like servers.mjs's startDnsmesh: pinned to the server core, tracked and stopped by procs.mjs.
// Ready when the banner (`dnsmesh-VERSION`, printed on stdout once every socket is bound) is in the file.
import { openSync, readSync, closeSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@dnsmesh/testkit';
import { cpuSeconds, sleep, spawnPinned, stop } from './procs.mjs';
import { DNSMESH_MAIN, render, SERVER_CPU, tempDir } from './servers.mjs';

/**
 * `extra` is a list of directive lines, or a function of { metricsPort } returning one; a
 * `metricsPort` (a free port) is always picked, for `prometheus 127.0.0.1:${metricsPort}`.
 * dnsmesh's stdout goes to `stdout.log` in its temp dir (removed at the end of the run).
 */
export async function startDnsmeshExtra(template, upstreamPort, { extra = [], label = 'dnsmesh', dgram = false } = {}) {
  const port = await freePort();
  const metricsPort = await freePort();
  const dir = tempDir();
  const stdout = join(dir, 'stdout.log');
  const lines = typeof extra === 'function' ? extra({ metricsPort }) : extra;
  const base = render(template, { PORT: port, UPSTREAM_PORT: upstreamPort });
  const end = base.lastIndexOf('}');
  if (end < 0) throw new Error(`${template}: no server block`);
  const corefile = `${base.slice(0, end)}${lines.map((l) => `    ${l}\n`).join('')}${base.slice(end)}`;
  writeFileSync(join(dir, 'Corefile'), corefile);
  const env = { ...process.env, DNSMESH_BENCH_STDOUT: stdout, ...(dgram ? { DNSMESH_UDP_BATCH: '0' } : {}) };
  const child = spawnPinned(SERVER_CPU, 'sh', ['-c', 'exec "$0" "$@" >"$DNSMESH_BENCH_STDOUT"', process.execPath, DNSMESH_MAIN, '-conf', 'Corefile'],
    { cwd: dir, label, env });
  await waitForBanner(child, stdout);
  const transport = /"transport":"(\w+)"/.exec(child.err)?.[1] ?? 'dgram';
  return {
    label: `${label} (${transport})`, child, port, pid: child.pid, transport, dir, corefile, metricsPort,
    address: `127.0.0.1:${port}`,
    cpu: () => cpuSeconds(child.pid),
    stop: () => stop(child),
    stdout,
    /** Bytes written to the stdout file so far. */
    stdoutBytes: () => statSync(stdout).size,
    /** The /metrics text (when the Corefile has prometheus on metricsPort). */
    scrape: async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(5000) })).text(),
  };
}

/** Resolves once the stdout file holds the banner; rejects if dnsmesh exits first or after `ms`. */
async function waitForBanner(child, file, ms = 15000) {
  const deadline = Date.now() + ms;
  const buf = Buffer.alloc(4096);
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${child.label} exited before it was ready:\n${child.err}`);
    try {
      const fd = openSync(file, 'r');
      const n = readSync(fd, buf, 0, buf.length, 0);
      closeSync(fd);
      if (/dnsmesh-\d/.test(buf.toString('utf8', 0, n))) return;
    } catch { /* not created yet */ }
    await sleep(50);
  }
  throw new Error(`${child.label} not ready after ${ms} ms:\n${child.err}`);
}
