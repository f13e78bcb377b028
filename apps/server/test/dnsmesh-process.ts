import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

/** The built binary: `npm test` builds before the tests run. */
export const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

export interface Running {
  readonly child: ChildProcess;
  readonly dir: string;
  stdout: string;
  stderr: string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Writes files into a fresh temp dir (e.g. { Corefile: '...' }), cleaned up after the test. */
export function tempFiles(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dnsmesh-test-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs `dnsmesh ARGS` in `dir`; killed after the test if still running. */
export function run(args: string[], dir: string): Running {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const r: Running = {
    child, dir, stdout: '', stderr: '',
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return r.exited;
    },
  };
  child.stdout!.on('data', (d) => { r.stdout += d; });
  child.stderr!.on('data', (d) => { r.stderr += d; });
  onTestFinished(async () => { if (child.exitCode === null) { child.kill('SIGKILL'); await r.exited; } });
  return r;
}

/** Starts dnsmesh from a Corefile and waits until it listens (it prints its version line). */
export async function startDnsmesh(corefile: string, extraFiles: Record<string, string> = {}, flags: readonly string[] = []): Promise<Running> {
  const dir = tempFiles({ Corefile: corefile, ...extraFiles });
  const r = run(['-conf', 'Corefile', ...flags], dir);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dnsmesh did not start in 10 s:\n${r.stderr}`)), 10_000);
    const check = () => { if (/dnsmesh-\d/.test(r.stdout)) { clearTimeout(timer); resolve(); } };
    r.child.stdout!.on('data', check);
    r.exited.then((code) => { clearTimeout(timer); reject(new Error(`dnsmesh exited with ${code}:\n${r.stderr}`)); });
  });
  return r;
}
