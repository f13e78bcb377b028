// The V8 flags dnsmesh runs with (src/gc-flags.ts): the launcher's #! line gives those that only
// work at start, main sets the others. Checked on real processes through the prometheus plugin's
// nodejs_heap_space_size_total_bytes, the young generation's size.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from '@dnsmesh/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runtimeGcFlags, START_FLAGS } from '../src/gc-flags.js';
import { tempFiles } from './dnsmesh-process.js';

const BIN = fileURLToPath(new URL('../bin/dnsmesh.js', import.meta.url));

/**
 * Starts `cmd args` on a Corefile with prometheus; resolves with node's command line (from /proc)
 * and the young generation's size in bytes.
 */
async function started(cmd: string, args: string[]): Promise<{ argv: string[]; newSpace: number }> {
  const [dns, prom] = [await freePort(), await freePort('tcp')];
  const dir = tempFiles({ Corefile: `.:${dns} {\n  bind 127.0.0.1\n  prometheus 127.0.0.1:${prom}\n  whoami\n}\n` });
  const child = spawn(cmd, [...args, '-conf', 'Corefile'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  onTestFinished(async () => { if (child.exitCode === null) { child.kill('SIGKILL'); await exited; } });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const deadline = Date.now() + 10_000;
  while (!/dnsmesh-\d/.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`dnsmesh did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const argv = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
  const text = await (await fetch(`http://127.0.0.1:${prom}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('nodejs_heap_space_size_total_bytes{space="new"}'));
  child.kill('SIGTERM');
  await exited;
  if (line === undefined) throw new Error('no nodejs_heap_space_size_total_bytes{space="new"} in /metrics');
  return { argv, newSpace: Number(line.slice(line.lastIndexOf(' ') + 1)) };
}

describe('V8 flags', () => {
  it("the launcher's #! line gives node exactly START_FLAGS", () => {
    const first = readFileSync(BIN, 'utf8').split('\n')[0]!;
    expect(first).toBe(`#!/usr/bin/env -S node ${START_FLAGS.join(' ')}`);
  });

  it('a server started through the launcher runs node with them, and has a young generation of two 8 MB semi-spaces', async () => {
    // Node grows the young generation while it loads modules and shrinks it back to 1 MB after a
    // quiet spell (a plain `node dist/main.js` can be seen at 16 MB too): the flags fix it at 8 MB
    // a semi-space, no smaller and (under a flood of new names, whose entries survive) no larger.
    const { argv, newSpace } = await started(BIN, []);
    expect(argv.slice(1, 1 + START_FLAGS.length)).toEqual(START_FLAGS);
    expect(argv[1 + START_FLAGS.length]).toBe(BIN);
    expect(newSpace).toBe(2 * 8 * 1024 * 1024);
  });

  it('main turns parallel scavenges off unless node was told either way', () => {
    expect(runtimeGcFlags([])).toEqual(['--no-parallel-scavenge']);
    expect(runtimeGcFlags(['--max-old-space-size=512'])).toEqual(['--no-parallel-scavenge']);
    expect(runtimeGcFlags(['--parallel-scavenge'])).toEqual([]);
    expect(runtimeGcFlags(['--no-parallel-scavenge'])).toEqual([]);
  });
});
