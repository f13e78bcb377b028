#!/usr/bin/env node
// Runs before `npm test`: the integration tests drive the real `dig` and `kdig`; deploy/test drives
// systemd-analyze, strace, iptables, ip and shellcheck.
// Installs them with apt-get when they are missing and we are root; otherwise says what to install.
import { execFileSync, spawnSync } from 'node:child_process';

const tools = [
  { bin: 'dig', pkg: 'bind9-dnsutils' },
  { bin: 'kdig', pkg: 'knot-dnsutils' },
  { bin: 'prometheus', pkg: 'prometheus' }, // deploy/monitoring is tested against a real Prometheus (promtool comes with it)
  { bin: 'systemd-analyze', pkg: 'systemd' },
  { bin: 'strace', pkg: 'strace' },
  { bin: 'iptables', pkg: 'iptables' },
  { bin: 'ip', pkg: 'iproute2' },
  { bin: 'shellcheck', pkg: 'shellcheck' },
];
const has = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
const missing = tools.filter((t) => !has(t.bin));
if (missing.length === 0) process.exit(0);

const pkgs = missing.map((t) => t.pkg);
if (process.getuid?.() !== 0 || !has('apt-get')) {
  console.error(`The tests need ${missing.map((t) => t.bin).join(' and ')}. Install them, e.g.: sudo apt-get install -y ${pkgs.join(' ')}`);
  process.exit(1);
}
console.error(`Installing ${pkgs.join(', ')} for the tests ...`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env });
const still = missing.filter((t) => !has(t.bin));
if (still.length > 0) {
  console.error(`Still missing after install: ${still.map((t) => t.bin).join(', ')}`);
  process.exit(1);
}
