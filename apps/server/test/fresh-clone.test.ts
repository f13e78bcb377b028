// The README's commands on a fresh clone: a copy of what git would check out (tracked and
// not-ignored files; no node_modules, no dist), `npm ci` from the npm cache, `npm run build`, then
// the commands the README shows. This is what a newcomer types; it catches a bin that npm could
// not link at install time (it once pointed at dist/, which `npm ci` has not built yet).
import { execFile, spawn } from 'node:child_process';
import net from 'node:net';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { dig, parseDigAnswer } from '@dnsmesh/testkit';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'dnsmesh-clone-'));
const clone = join(work, 'dnsmesh');

/** npm's environment without what `npm test` set for its own run (workspace, prefix, lifecycle). */
function cleanEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_') || keep.has(k.toLowerCase())));
}

async function run(cmd: string, args: string[], timeout = 120_000): Promise<{ stdout: string; stderr: string }> {
  try {
    return await exec(cmd, args, { cwd: clone, env: cleanEnv(), maxBuffer: 64 << 20, timeout });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

beforeAll(async () => {
  const { stdout } = await exec('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, maxBuffer: 64 << 20 });
  for (const file of stdout.split('\0').filter(Boolean)) {
    mkdirSync(dirname(join(clone, file)), { recursive: true });
    try { cpSync(join(ROOT, file), join(clone, file)); } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // deleted in the work tree, not yet in git
    }
  }
  // --offline: every package comes from the npm cache that the repo's own `npm ci` filled.
  await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], 180_000);
}, 200_000);

// A whole clone with node_modules: on a busy machine its removal takes longer than the default 20 s.
afterAll(() => rmSync(work, { recursive: true, force: true }), 120_000);

describe('a fresh clone', () => {
  it('links the dnsmesh bin at `npm ci`, says what to do before a build, and runs after `npm run build`', async () => {
    const before = await exec('npx', ['--no-install', 'dnsmesh', '-version'], { cwd: clone, env: cleanEnv() }).then(
      () => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }));
    expect(before.code).not.toBe(0);
    expect(before.stderr).toContain('run `npm run build`');

    await run('npm', ['run', 'build'], 240_000);
    const { stdout } = await run('npx', ['--no-install', 'dnsmesh', '-version']);
    expect(stdout).toMatch(/^dnsmesh-\d+\.\d+\.\d+\nnode-20\./);
    // The README's next commands: check the Corefile, then the demo (`npm start`) and ctl against it.
    expect((await run('npx', ['--no-install', 'dnsmesh', '-conf', 'Corefile', '-check'])).stdout).toMatch(/^Corefile: OK \(/);
  }, 300_000);

  it('`npm start` runs the demo the README describes: dig gets Consul answers, ctl reads its status', async () => {
    // The demo's ports are fixed (README): say so plainly when something else holds them.
    for (const port of [1053, 8053, 8500]) expect(await tcpFree(port), `port ${port} is taken: stop what holds it (a running \`npm start\`?)`).toBe(true);
    const demo = spawn('npm', ['start'], { cwd: clone, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    demo.stdout!.on('data', (d) => { out += d; });
    demo.stderr!.on('data', (d) => { out += d; });
    const exited = new Promise((resolve) => demo.on('exit', resolve));
    onTestFinished(async () => { if (demo.exitCode === null) { process.kill(-demo.pid!, 'SIGTERM'); await exited; } });
    const until = Date.now() + 90_000;
    while (!/dnsmesh-\d/.test(out)) {
      if (demo.exitCode !== null || Date.now() > until) throw new Error(`npm start did not serve:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const web = parseDigAnswer(await dig(['@127.0.0.1', '-p', '1053', 'web.service.consul', 'A']));
    expect(web.status).toBe('NOERROR');
    expect(web.answers.length).toBeGreaterThan(0);
    const status = await run('npx', ['--no-install', 'dnsmesh', 'ctl', '-s', '127.0.0.1:8053', 'status']);
    expect(status.stdout).toContain('block consul.:1053 on 127.0.0.1 [ready]');
  }, 120_000);
});
