// The shell scripts of deploy/ (the image's build, the node-local sidecar) pass shellcheck as POSIX sh.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPTS = ['deploy/docker/build.sh', 'deploy/kubernetes/node-local-interface.sh'];

it.each(SCRIPTS)('%s passes shellcheck', async (script) => {
  const result = await exec('shellcheck', ['--shell=sh', '--severity=style', script], { cwd: ROOT }).then(() => '', (e: { stdout: string }) => e.stdout);
  expect(result).toBe('');
});

it('shellcheck does report a fault', async () => {
  const child = execFile('shellcheck', ['--shell=sh', '-']);
  child.stdin!.end('for f in $(ls); do echo $f; done\n');
  const exit = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(exit).toBe(1);
});
