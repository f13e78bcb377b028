#!/usr/bin/env node
// Runs before `npm test`: the integration tests drive the real `dig` and `kdig`; the conformance
// suite runs NSD (the upstream), Unbound (the reference cache) and ldns-signzone (a signed zone);
// deploy/test drives systemd-analyze, strace, iptables, ip and shellcheck.
// Installs them with apt-get when they are missing and we are root; otherwise says what to install.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';

const tools = [
  { bin: 'dig', pkg: 'bind9-dnsutils' },
  { bin: 'kdig', pkg: 'knot-dnsutils' },
  { bin: 'nsd', pkg: 'nsd' },
  { bin: 'unbound', pkg: 'unbound' },
  { bin: 'ldns-signzone', pkg: 'ldnsutils' },
  { bin: 'ldns-keygen', pkg: 'ldnsutils' },
  { bin: 'prometheus', pkg: 'prometheus' }, // deploy/monitoring is tested against a real Prometheus (promtool comes with it)
  { bin: 'systemd-analyze', pkg: 'systemd' },
  { bin: 'strace', pkg: 'strace' },
  { bin: 'iptables', pkg: 'iptables' },
  { bin: 'ip', pkg: 'iproute2' },
  { bin: 'shellcheck', pkg: 'shellcheck' },
];
// nsd and unbound live in /usr/sbin, which a non-root PATH may lack.
const PATH = `${process.env.PATH ?? ''}:/usr/sbin:/sbin`;
const has = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore', env: { ...process.env, PATH } }).status === 0;
const missing = tools.filter((t) => !has(t.bin));
if (missing.length === 0) process.exit(0);

const pkgs = [...new Set(missing.map((t) => t.pkg))];
if (process.getuid?.() !== 0 || !has('apt-get')) {
  console.error(`The tests need ${missing.map((t) => t.bin).join(', ')}. Install them, e.g.: sudo apt-get install -y ${pkgs.join(' ')}`);
  process.exit(1);
}
console.error(`Installing ${pkgs.join(', ')} for the tests ...`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
// The nsd, unbound and prometheus packages start their daemons on install (ports 53 and 9090) unless
// policy-rc.d forbids it: forbid it for the length of the install when the machine does not already.
const POLICY = '/usr/sbin/policy-rc.d';
const ownPolicy = !existsSync(POLICY);
if (ownPolicy) writeFileSync(POLICY, '#!/bin/sh\n# written by dnsmesh scripts/ensure-tools.mjs for one apt-get install\nexit 101\n', { mode: 0o755 });
try {
  execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env });
} finally {
  if (ownPolicy) rmSync(POLICY, { force: true });
}
const still = missing.filter((t) => !has(t.bin));
if (still.length > 0) {
  console.error(`Still missing after install: ${still.map((t) => t.bin).join(', ')}`);
  process.exit(1);
}
