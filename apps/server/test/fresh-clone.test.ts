// The README's commands on a fresh clone: a copy of what git would check out (tracked and
// not-ignored files; no node_modules, no dist), `npm ci` from the npm cache, `npm run build`, then
// the commands the README shows. This is what a newcomer types; it catches a bin that npm could
// not link at install time (it once pointed at dist/, which `npm ci` has not built yet).
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

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

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('a fresh clone', () => {
  it('links the dnsmesh bin at `npm ci`, says what to do before a build, and runs after `npm run build`', async () => {
    const before = await exec('npx', ['--no-install', 'dnsmesh', '-version'], { cwd: clone, env: cleanEnv() }).then(
      () => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }));
    expect(before.code).not.toBe(0);
    expect(before.stderr).toContain('run `npm run build`');

    await run('npm', ['run', 'build'], 240_000);
    const { stdout } = await run('npx', ['--no-install', 'dnsmesh', '-version']);
    expect(stdout).toMatch(/^dnsmesh-\d+\.\d+\.\d+\nnode-20\./);
  }, 300_000);
});
