// Starting the servers under test and the upstream. Every server listens on 127.0.0.1 only and is
// pinned to the server core; the upstream is pinned to the client core.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, query } from '@dnsmesh/testkit';
import { cpuSeconds, sleep, spawnPinned, stop, waitForOutput } from './procs.mjs';

export const SERVER_CPU = 0;
export const CLIENT_CPU = 1;
const BENCH = fileURLToPath(new URL('..', import.meta.url));
const PEERS = join(BENCH, 'peers');
export const DNSMESH_MAIN = fileURLToPath(new URL('../../apps/server/dist/main.js', import.meta.url));

const dirs = [];
/** A temp dir for generated configs, removed by cleanupDirs(). */
export function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'dnsmesh-bench-'));
  dirs.push(dir);
  return dir;
}
export function cleanupDirs() {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}
process.on('exit', cleanupDirs);

/** A file of bench/peers/ with every {{KEY}} replaced. */
export function render(file, vars) {
  return readFileSync(join(PEERS, file), 'utf8').replace(/\{\{(\w+)\}\}/g, (m, k) => {
    if (!(k in vars)) throw new Error(`${file}: no value for ${m}`);
    return String(vars[k]);
  });
}

/** A server under test: its label, port, pid and CPU reading. */
function server(label, child, port) {
  return {
    label, child, port, pid: child.pid,
    address: `127.0.0.1:${port}`,
    cpu: () => cpuSeconds(child.pid),
    stop: () => stop(child),
  };
}

/** Waits until something answers DNS on the port (any rcode). */
async function waitAnswers(child, port, ms = 15000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${child.label} exited (${child.exitCode}):\n${child.err}${child.out}`);
    try {
      await query(`127.0.0.1:${port}`, 'ready-probe.bench.example', 'A', { timeout: 300 });
      return;
    } catch { await sleep(100); }
  }
  throw new Error(`${child.label} did not answer on ${port} within ${ms} ms:\n${child.err}${child.out}`);
}

/** The bench upstream (bench/upstream.mjs) in its own process; count() asks it how many queries it got. */
export async function startUpstream(spec) {
  const child = spawnPinned(CLIENT_CPU, process.execPath, [join(BENCH, 'upstream.mjs'), JSON.stringify(spec)], { ipc: true, label: 'upstream' });
  /** count(): { count, udp, tcp } since start. */
  return { ...server('upstream', child, await readyPort(child)), count: countOver(child) };
}

/** The port an upstream child sends in its first IPC message ({ ready, port }). */
function readyPort(child) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${child.label} not ready:\n${child.err}`)), 15000);
    child.once('message', (m) => { clearTimeout(timer); resolve(m.port); });
    child.once('exit', () => { clearTimeout(timer); reject(new Error(`${child.label} exited:\n${child.err}`)); });
  });
}

/** Asks an upstream child for its counters over IPC ({ cmd: 'count', id } -> { id, count, ... }). */
function countOver(child) {
  let seq = 0;
  return () => {
    const id = ++seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { child.off('message', on); reject(new Error(`${child.label} did not report its count`)); }, 5000);
      const on = (m) => { if (m.id === id) { clearTimeout(timer); child.off('message', on); resolve(m); } };
      child.on('message', on);
      child.send({ cmd: 'count', id });
    });
  };
}

/** dnsmesh flags for every start of every tool from `DNSMESH_ARGS` (e.g. `DNSMESH_ARGS=-warmup=0 node bench/perf.mjs flood`). */
const envArgs = () => (process.env.DNSMESH_ARGS ?? '').split(' ').filter((a) => a !== '');

/**
 * dnsmesh from a bench/peers/ Corefile template (`vars` fills template keys of its own, e.g. CAPACITY); `nodeArgs` e.g. ['--cpu-prof'],
 * `args` dnsmesh's own flags after `-conf` (e.g. ['-warmup=0']), `dgram` forces Node's
 * dgram (DNSMESH_UDP_BATCH=0). The label gets the UDP transport dnsmesh says it uses: 'dnsmesh (batch)'.
 */
export async function startDnsmesh(template, upstreamPort, { nodeArgs = [], args = [], label = 'dnsmesh', dgram = false, main = DNSMESH_MAIN, vars = {} } = {}) {
  const port = await freePort();
  const metricsPort = await freePort();
  const dir = tempDir();
  writeFileSync(join(dir, 'Corefile'), render(template, { ...vars, PORT: port, UPSTREAM_PORT: upstreamPort, METRICS_PORT: metricsPort }));
  const env = dgram ? { ...process.env, DNSMESH_UDP_BATCH: '0' } : process.env;
  const child = spawnPinned(SERVER_CPU, process.execPath, [...launcherFlags(main), ...nodeArgs, main, '-conf', 'Corefile', ...envArgs(), ...args], { cwd: dir, label, env });
  await waitForOutput(child, /dnsmesh-\d/);
  // The log is asynchronous, so its transport line may come just after the ready lines.
  await waitForOutput(child, /"transport":"\w+"/, 2000).catch(() => {});
  // The server's log is on stdout since the one-stream change (stderr before); older builds log no transport: they only had dgram.
  const transport = /"transport":"(\w+)"/.exec(child.out + child.err)?.[1] ?? 'dgram';
  return { ...server(`${label} (${transport})`, child, port), dir, transport, metricsPort };
}

/**
 * The node flags dnsmesh's launcher (bin/dnsmesh.js beside the build of `main`) gives on its #!
 * line, so a server started as `node main.js` runs as the `dnsmesh` command does. None for a
 * checkout whose launcher has none.
 */
export function launcherFlags(main) {
  try {
    const first = readFileSync(join(main, '..', '..', 'bin', 'dnsmesh.js'), 'utf8').split('\n')[0];
    const m = /^#!\/usr\/bin\/env -S node (.*)$/.exec(first);
    return m ? m[1].trim().split(/\s+/) : [];
  } catch { return []; }
}

/**
 * lib/echo-upstream.mjs (one A record for any name asked: unique names without a table) pinned to
 * the client core; count() gives { count } queries answered since start.
 */
export async function startEchoUpstream() {
  const child = spawnPinned(CLIENT_CPU, process.execPath, [join(BENCH, 'lib', 'echo-upstream.mjs')], { ipc: true, label: 'echo upstream' });
  return { ...server('echo upstream', child, await readyPort(child)), count: countOver(child) };
}

/**
 * Starts a fresh bench upstream (`upSpec`) and a server on it (`start(upstream)`), runs
 * `run(server, upstream)` and stops both: a row that must not see another row's cache.
 */
export async function withFreshServer(upSpec, start, run) {
  const up = await startUpstream(upSpec);
  try {
    const s = await start(up);
    try {
      return { server: s.label, ...(await run(s, up)) };
    } finally {
      await s.stop();
    }
  } finally {
    await up.stop();
  }
}

export async function startUnbound(template, upstreamPort, label = 'unbound') {
  const port = await freePort();
  const dir = tempDir();
  const conf = join(dir, 'unbound.conf');
  writeFileSync(conf, render(template, { PORT: port, UPSTREAM_PORT: upstreamPort, DIR: dir }));
  execFileSync('unbound-checkconf', [conf], { stdio: 'pipe' });
  const child = spawnPinned(SERVER_CPU, 'unbound', ['-d', '-c', conf], { label });
  await waitAnswers(child, port);
  return server(label, child, port);
}

export async function startDnsmasq(upstreamPort, cacheSize, label = 'dnsmasq') {
  const port = await freePort();
  const dir = tempDir();
  const args = render('dnsmasq.args', { PORT: port, UPSTREAM_PORT: upstreamPort, CACHE_SIZE: cacheSize, DIR: dir })
    .split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const child = spawnPinned(SERVER_CPU, 'dnsmasq', args, { label });
  await waitAnswers(child, port);
  return server(label, child, port);
}

/** bench/ceiling.mjs answering one fixed reply (see its flags). */
export async function startCeiling(flags, label = 'node ceiling (dgram)', nodeArgs = []) {
  const port = await freePort();
  const child = spawnPinned(SERVER_CPU, process.execPath, [...nodeArgs, join(BENCH, 'ceiling.mjs'), '--port', String(port), ...flags], { label });
  await waitForOutput(child, /ceiling listening/);
  return server(label, child, port);
}

/** The batched ceiling (ceiling.mjs --batch), or undefined when @dnsmesh/udp-batch does not load here. */
export async function startBatchCeiling(flags, label = 'node ceiling (batch)') {
  try {
    return await startCeiling([...flags, '--batch'], label);
  } catch (err) {
    if (/does not load here/.test(err.message)) return undefined;
    throw err;
  }
}

/** Exits (2) with a message unless dnsmesh is built and every tool in `tools` is on the PATH. */
export function preflight(who, tools) {
  if (!existsSync(DNSMESH_MAIN)) { process.stderr.write(`${who}: apps/server/dist/main.js is missing: run \`npm run build\` first\n`); process.exit(2); }
  for (const tool of tools) {
    try { execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }); } catch {
      process.stderr.write(`${who}: '${tool}' is missing (apt-get install dnsperf unbound dnsmasq-base util-linux)\n`);
      process.exit(2);
    }
  }
}

export function versions() {
  const line = (cmd, args, re) => {
    try {
      const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      return (re.exec(out)?.[1] ?? out.split('\n')[0]).trim();
    } catch (e) { return `${e.stdout ?? ''}${e.stderr ?? ''}`.match(re)?.[1] ?? 'not found'; }
  };
  return {
    dnsperf: line('dnsperf', ['-h'], /Version (\S+)/),
    unbound: line('unbound', ['-V'], /Version (\S+)/),
    dnsmasq: line('dnsmasq', ['--version'], /version (\S+)/),
    node: process.version,
    dnsmesh: line(process.execPath, [DNSMESH_MAIN, '-version'], /(dnsmesh-\S+)/),
  };
}
