import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, linkSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBinding, packageRoot } from './native.js';

// scripts/build.mjs must never fail an install: without a compiler (or when told to skip) it
// prints one warning line, exits 0, and the package then reports `available: false`.

const temps: string[] = [];
afterAll(() => { for (const dir of temps) rmSync(dir, { recursive: true, force: true }); });

/** A copy of what the package ships for building: binding.gyp, src/*.c, scripts/. */
function copyPackage(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'udp-batch-build-'));
  temps.push(dir);
  for (const entry of ['package.json', 'binding.gyp', 'scripts', 'src/udp_batch.c']) {
    cpSync(path.join(packageRoot, entry), path.join(dir, entry), { recursive: true });
  }
  return dir;
}

/** The environment minus npm's and the build's own variables, plus `extra`. */
function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|DNSMESH_UDP_BATCH_)/i.test(k)));
  return { ...clean, ...extra };
}

function build(dir: string, extra: Record<string, string>) {
  return spawnSync(process.execPath, [path.join(dir, 'scripts', 'build.mjs')], { cwd: dir, env: env(extra), encoding: 'utf8', timeout: 120_000 });
}

describe('scripts/build.mjs', () => {
  it('forced build failure: no compilers on PATH, CC/CXX missing -> one warning, exit 0, not available', () => {
    const dir = copyPackage();
    const run = build(dir, { PATH: '', CC: '/nonexistent', CXX: '/nonexistent' });
    expect(run.status, run.stderr).toBe(0);
    const lines = `${run.stdout}${run.stderr}`.split('\n').filter(Boolean);
    expect(lines, run.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^@dnsmesh\/udp-batch: native addon not built: node-gyp failed.*; dnsmesh will use node:dgram/);
    expect(existsSync(path.join(dir, 'build', 'Release', 'udp_batch.node'))).toBe(false);
    const there = loadBinding(dir);
    expect(there.binding).toBeUndefined();
    expect(there.error?.message).toMatch(/native addon not available/);
  });

  it('skips when DNSMESH_UDP_BATCH_BUILD=0', () => {
    const dir = copyPackage();
    const run = build(dir, { DNSMESH_UDP_BATCH_BUILD: '0' });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim()).toBe('@dnsmesh/udp-batch: native addon not built: DNSMESH_UDP_BATCH_BUILD=0; dnsmesh will use node:dgram');
    expect(loadBinding(dir).binding).toBeUndefined();
  });

  it('skips, without downloading, when no Node headers are found', () => {
    const dir = copyPackage();
    // npm_config_nodedir pointing nowhere, and a node whose prefix has no headers: a hard link (or
    // copy) of this node in a temp bin/ (a symlink would not do: execPath resolves it).
    const bin = path.join(dir, 'fake', 'bin');
    mkdirSync(bin, { recursive: true });
    try { linkSync(process.execPath, path.join(bin, 'node')); } catch { cpSync(process.execPath, path.join(bin, 'node')); }
    const run = spawnSync(path.join(bin, 'node'), [path.join(dir, 'scripts', 'build.mjs')], {
      cwd: dir, encoding: 'utf8', timeout: 60_000,
      env: env({ npm_config_nodedir: path.join(dir, 'nowhere'), npm_config_node_gyp: path.join(packageRoot, 'scripts', 'build.mjs') }),
    });
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/^@dnsmesh\/udp-batch: native addon not built: Node headers not found .*not downloading them; dnsmesh will use node:dgram\n$/);
  });
});
