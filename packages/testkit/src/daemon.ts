import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryRaw } from './query.js';
import { HOST } from './same-port.js';

/** A DNS daemon (NSD, Unbound) that a test started on 127.0.0.1, with its files in a temp dir. */
export interface Daemon {
  readonly host: string;
  readonly port: number;
  /** '127.0.0.1:PORT' */
  readonly address: string;
  /** The temp dir with its config, zone files and log. */
  readonly dir: string;
  /** Its log file and stderr so far (for a failing test's message). */
  log(): string;
  /** Kills it (SIGTERM, then SIGKILL after 3 s) and removes its dir; idempotent. */
  stop(): Promise<void>;
}

/** A temp dir for one daemon's files. */
export function daemonDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `dnsmesh-${prefix}-`));
}

// nsd and unbound are in /usr/sbin, which a non-root PATH may lack.
const PATH = `${process.env.PATH ?? ''}:/usr/sbin:/sbin`;

/** Every daemon still running, killed if the test process exits without stopping them. */
const running = new Set<ChildProcess>();
let exitHook = false;

/**
 * Spawns `bin args` (in the foreground: no daemonizing) and waits until it answers `probe` over
 * UDP on `port` as `ready` wants (10 s at most). On failure it is killed, its dir removed, and the error carries its log.
 */
export async function startDaemon(opts: {
  bin: string; args: string[]; dir: string; port: number; probe: Buffer; logFile?: string;
  /** When a reply to the probe means ready (default: any reply). */
  ready?: (reply: Buffer) => boolean;
  /** A log line that means it will never be ready (checked while waiting). */
  failed?: RegExp;
}): Promise<Daemon> {
  const { bin, args, dir, port, probe, logFile, ready = () => true, failed } = opts;
  const child = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATH } });
  running.add(child);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => { for (const c of running) c.kill('SIGKILL'); });
  }
  let output = '';
  child.stdout!.on('data', (d) => { output += d; });
  child.stderr!.on('data', (d) => { output += d; });
  const exited = new Promise<void>((resolve) => child.once('exit', () => { running.delete(child); resolve(); }));
  child.once('error', (err) => { output += `\n${String(err)}`; });
  let stopping: Promise<void> | undefined;
  const daemon: Daemon = {
    host: HOST,
    port,
    address: `${HOST}:${port}`,
    dir,
    log() {
      let file = '';
      try { if (logFile !== undefined) file = readFileSync(join(dir, logFile), 'utf8'); } catch { /* not written yet */ }
      return `${file}${output}`;
    },
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
          await exited;
          clearTimeout(timer);
        }
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
  const deadline = Date.now() + 10_000;
  let dead = false;
  void exited.then(() => { dead = true; });
  while (!dead && Date.now() < deadline && !(failed?.test(daemon.log()) ?? false)) {
    const reply = await queryRaw(daemon.address, probe, { timeout: 200 }).catch(() => undefined);
    if (reply !== undefined && ready(reply)) return daemon;
    if (!dead) await new Promise((r) => setTimeout(r, 50));
  }
  const log = daemon.log();
  await daemon.stop();
  throw new Error(`${bin} did not answer on ${daemon.address}${dead ? ' (it exited)' : ''}:\n${log}`);
}
