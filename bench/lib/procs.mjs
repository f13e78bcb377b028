// Child processes for the harness: started pinned with taskset, tracked, and always stopped (on
// normal exit, on an error, on SIGINT/SIGTERM). CPU time is read from /proc.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
const children = new Set();

/** How much of each stream a child keeps (bytes); BENCH_KEEP_OUTPUT raises it to read a whole V8 trace. */
const KEEP = Number(process.env.BENCH_KEEP_OUTPUT) || 65536;

/**
 * Spawns `cmd args` pinned to `cpu` (taskset execs the command, so the pid is the command's).
 * Output is kept (the last KEEP bytes of each stream, 64 KiB by default) for error messages.
 */
export function spawnPinned(cpu, cmd, args, opts = {}) {
  const child = spawn('taskset', ['-c', String(cpu), cmd, ...args], {
    stdio: opts.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    cwd: opts.cwd,
    env: opts.env ?? process.env,
  });
  child.label = opts.label ?? cmd;
  child.out = '';
  child.err = '';
  const keep = (s, d) => (s + d).slice(-KEEP);
  child.stdout.on('data', (d) => { child.out = keep(child.out, d); });
  child.stderr.on('data', (d) => { child.err = keep(child.err, d); });
  child.exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    children.delete(child);
    resolve(code ?? signal);
  }));
  children.add(child);
  return child;
}

/** Resolves when `re` matches the child's stdout or stderr; rejects on exit or after `ms`. */
export function waitForOutput(child, re, ms = 15000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`${child.label} not ready after ${ms} ms:\n${child.err}${child.out}`)), ms);
    const check = () => { if (re.test(child.out) || re.test(child.err)) done(); };
    const onExit = () => done(new Error(`${child.label} exited before it was ready:\n${child.err}${child.out}`));
    function done(err) {
      clearTimeout(timer);
      child.stdout.off('data', check);
      child.stderr.off('data', check);
      child.off('exit', onExit);
      if (err) reject(err); else resolve();
    }
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    child.once('exit', onExit);
    check();
  });
}

/** Stops a child: SIGTERM, then SIGKILL after `graceMs`. Resolves when it has exited. */
export async function stop(child, graceMs = 3000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

export async function stopAll() {
  await Promise.all([...children].map((c) => stop(c)));
}

function killAllNow() {
  for (const c of children) { try { c.kill('SIGKILL'); } catch { /* gone */ } }
}

let installed = false;
/** Stops every child on exit, on an uncaught error and on SIGINT/SIGTERM. */
export function installCleanup() {
  if (installed) return;
  installed = true;
  process.on('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig}, stopping every server\n`);
      stopAll().finally(() => process.exit(130));
    });
  }
  process.on('uncaughtException', (err) => {
    process.stderr.write(`bench: ${err.stack ?? err}\n`);
    killAllNow();
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    process.stderr.write(`bench: ${err?.stack ?? err}\n`);
    killAllNow();
    process.exit(1);
  });
}

/** utime + stime of a whole process (every thread), in seconds. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK; // fields 14 and 15 of proc(5)
}

/** Resident set size of a process (VmRSS), in bytes. */
export function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Samples f() every `ms` until stop(), which gives the peak. */
export function peakSampler(f, ms = 100) {
  let peak = -Infinity;
  const take = () => { const v = f(); if (v > peak) peak = v; };
  take();
  const timer = setInterval(take, ms);
  return { stop: () => { clearInterval(timer); take(); return peak; } };
}

/** CPU time of this process's waited-for children (cutime + cstime), in seconds. */
export function reapedChildrenCpuSeconds() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / CLK_TCK; // fields 16 and 17 of proc(5)
}

/** Pins this process (the harness) to `cpu`, so it never competes with the server under test. */
export function pinSelf(cpu) {
  execFileSync('taskset', ['-a', '-pc', String(cpu), String(process.pid)], { stdio: 'ignore' });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
