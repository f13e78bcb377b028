// A network namespace of the test's own, with nothing in it but loopback: a container's network,
// without a container engine. The deploy tests serve the shipped configs in one, on the ports they
// name (53, 8080, 8181, 9153), so they clash with nothing on the machine and nothing leaves it.
// Needs root (the tests run as root, as CI does), unshare and nsenter (util-linux), ip (iproute2).
import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** A process the test started; stopped by stop() (SIGTERM, then SIGKILL after 6 s). */
export interface Proc {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  out(): string;
  err(): string;
  /** Resolves once stdout (or stderr) matches; rejects when the process exits first or after ms. */
  waitFor(re: RegExp, ms?: number): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function start(cmd: string, args: readonly string[], opts: SpawnOptions = {}): Proc {
  const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  let code: number | null | undefined;
  void exited.then((c) => { code = c; });
  return {
    child, exited, out: () => out, err: () => err,
    async waitFor(re, ms = 15_000) {
      const until = Date.now() + ms;
      while (!re.test(out) && !re.test(err)) {
        if (code !== undefined) throw new Error(`${cmd} ${args.join(' ')} exited (${code}) before ${re}:\n${out}\n${err}`);
        if (Date.now() > until) throw new Error(`${cmd} ${args.join(' ')}: no ${re} in ${ms} ms:\n${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop(signal = 'SIGTERM') {
      if (code === undefined) {
        child.kill(signal);
        const force = setTimeout(() => child.kill('SIGKILL'), 6000);
        await exited;
        clearTimeout(force);
      }
      return exited;
    },
  };
}

export interface Netns {
  /** A process in the namespace (it holds it open). */
  readonly pid: number;
  /** Runs a command in the namespace to its end; rejects on a non-zero exit unless allowFail. */
  run(cmd: string, args: readonly string[], opts?: { env?: NodeJS.ProcessEnv; allowFail?: boolean; timeout?: number }): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Starts a command in the namespace. */
  start(cmd: string, args: readonly string[], opts?: SpawnOptions): Proc;
  close(): Promise<void>;
}

/**
 * A new network namespace with loopback up. unprivilegedPorts: any user may bind any port in it
 * (net.ipv4.ip_unprivileged_port_start=0, which Docker 20.10+ and Podman set in every container).
 */
export async function netns(opts: { unprivilegedPorts?: boolean } = {}): Promise<Netns> {
  const sysctl = opts.unprivilegedPorts ? ' && echo 0 > /proc/sys/net/ipv4/ip_unprivileged_port_start' : '';
  const holder = start('unshare', ['--net', '--', 'sh', '-c', `ip link set lo up${sysctl} && echo up && exec sleep 600`]);
  await holder.waitFor(/^up$/m, 5000);
  const enter = [`--net=/proc/${holder.child.pid}/ns/net`, '--'];
  return {
    pid: holder.child.pid!,
    async run(cmd, args, o = {}) {
      try {
        const { stdout, stderr } = await exec('nsenter', [...enter, cmd, ...args], { env: o.env ?? process.env, timeout: o.timeout ?? 30_000, maxBuffer: 16 << 20 });
        return { code: 0, stdout, stderr };
      } catch (e) {
        const err = e as { code?: number | string; stdout?: string; stderr?: string; message: string };
        if (o.allowFail && typeof err.code === 'number') return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
        throw new Error(`${cmd} ${args.join(' ')} (in the test's netns) failed: ${err.stderr || err.message}`);
      }
    },
    start: (cmd, args, o) => start('nsenter', [...enter, cmd, ...args], o),
    async close() { await holder.stop('SIGKILL'); },
  };
}

/** setpriv arguments that run the rest as uid:gid with exactly these capabilities (none: []). */
export function asUser(uid: number, caps: readonly string[] = []): string[] {
  const set = ['-all', ...caps.map((c) => `+${c}`)].join(',');
  return ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', `--inh-caps=${set}`, `--ambient-caps=${set}`, `--bounding-set=${set}`, '--no-new-privs', '--'];
}
