// The head of a RESULTS.md section: when, the command, the machine and the versions under test.
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { versions } from './servers.mjs';

const loads = () => loadavg().map((l) => l.toFixed(2)).join(' ');

/** `nproc` must be read before the harness pins itself (it counts usable CPUs). */
export function runHeader({ title, command, nproc, started = new Date() }) {
  const v = versions();
  let head = `## ${started.toISOString().replace('T', ' ').slice(0, 16)} UTC: ${title}\n\n`
    + `- command: \`${command}\`\n`
    + `- machine: nproc ${nproc}, load average ${loads()} at start; servers on CPU 0, dnsperf + upstream + harness on CPU 1\n`
    + `- dnsperf ${v.dnsperf}, unbound ${v.unbound}, dnsmasq ${v.dnsmasq}, node ${v.node}, ${v.dnsmesh}`;
  try {
    const git = (...a) => execFileSync('git', a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    // The build may hold uncommitted work of the checkout (outside bench/): say so.
    const dirty = git('status', '--porcelain', '--', '.', ':!bench').length > 0;
    head += ` (git ${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes' : ''})`;
  } catch { /* not a checkout */ }
  return head;
}

/** The last line of a section: how long it took and the load at the end. */
export function runFooter(started) {
  return `(${Math.round((Date.now() - started.getTime()) / 1000)} s, load average ${loads()} at the end)`;
}
