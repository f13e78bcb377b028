import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildQuery } from './build-query.js';
import { daemonDir, startDaemon, type Daemon } from './daemon.js';
import { freePort } from './free-port.js';

export interface UnboundOptions {
  /** The upstream every query is forwarded to: '127.0.0.1:PORT' (loopback only). */
  forwardTo: string;
  /** Extra `server:` lines, e.g. ['minimal-responses: no'], which win over the defaults here. */
  options?: readonly string[];
  /** A name the startup probe asks for (it must be answerable through `forwardTo`); default the root SOA. */
  probe?: string;
}

/**
 * Starts Unbound as a forwarding cache in front of a loopback upstream: the reference that the
 * conformance suite compares dnsmesh with. Non-validating (module-config "iterator", like dnsmesh),
 * no root hints used (everything is forwarded), 127.0.0.0/8 allowed, no chroot, privilege drop or
 * remote control, on 127.0.0.1 and a free port. Otherwise Unbound's defaults, as bench/peers uses.
 */
export async function startUnbound(opts: UnboundOptions): Promise<Daemon> {
  const m = /^127\.\d+\.\d+\.\d+:(\d+)$/.exec(opts.forwardTo);
  if (m === null) throw new Error(`startUnbound: forwardTo must be a 127.0.0.0/8 address with a port, not '${opts.forwardTo}'`);
  const dir = daemonDir('unbound');
  const port = await freePort('both');
  const set = new Map<string, string>();
  const add = (line: string) => set.set(line.slice(0, line.indexOf(':')).trim(), line.trim());
  for (const line of [
    'interface: 127.0.0.1', `port: ${port}`, 'outgoing-interface: 127.0.0.1', 'do-ip4: yes', 'do-ip6: no',
    'do-udp: yes', 'do-tcp: yes', 'access-control: 127.0.0.0/8 allow', 'num-threads: 1', 'so-reuseport: no',
    'do-daemonize: no', 'username: ""', 'chroot: ""', `directory: "${dir}"`, 'pidfile: ""', 'use-syslog: no',
    `logfile: "${dir}/unbound.log"`, 'verbosity: 1', 'module-config: "iterator"', 'do-not-query-localhost: no',
    'qname-minimisation: no', 'prefetch: no', 'serve-expired: no', 'minimal-responses: yes',
    'trust-anchor-signaling: no', 'root-key-sentinel: no',
  ]) add(line);
  for (const line of opts.options ?? []) add(line);
  const conf = [
    'server:', ...[...set.values()].map((l) => `    ${l}`),
    'remote-control:', '    control-enable: no',
    'forward-zone:', '    name: "."', `    forward-addr: ${opts.forwardTo.replace(':', '@')}`, '    forward-first: no',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'unbound.conf'), conf);
  return startDaemon({
    bin: 'unbound', args: ['-d', '-c', join(dir, 'unbound.conf')], dir, port,
    probe: buildQuery(opts.probe ?? '.', 'SOA'), logFile: 'unbound.log',
  });
}
