import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildQuery } from './build-query.js';
import { daemonDir, startDaemon, type Daemon } from './daemon.js';
import { freePort } from './free-port.js';

export interface NsdOptions {
  /** Zone origin ('example.' or 'example') -> zone file text (master file format). */
  zones: Readonly<Record<string, string>>;
  /** Extra lines for nsd.conf's `server:` clause (e.g. 'minimal-responses: no'). */
  server?: readonly string[];
  /** NSD's `minimal-responses`: true (the default here) adds no NS/glue to positive answers; false is NSD's own default. */
  minimalResponses?: boolean;
  /** NSD's verbosity (0-2); default 1. */
  verbosity?: number;
}

export interface Nsd extends Daemon {
  /** The origins served, with a trailing dot. */
  readonly zones: readonly string[];
}

/**
 * Starts NSD as the authoritative upstream of a test: its config and zone files in a temp dir, UDP
 * and TCP on 127.0.0.1 and a free port, no privilege drop, chroot or control socket, RRL off, minimal
 * responses unless asked otherwise (no NS/glue added to positive answers).
 *
 * @example
 * const nsd = await startNsd({ zones: { 'example.': '$TTL 300\n@ SOA ns host 1 3600 600 86400 300\n@ NS ns\nns A 127.0.0.1\n' } });
 * onTestFinished(() => nsd.stop());
 */
export async function startNsd(opts: NsdOptions): Promise<Nsd> {
  const origins = Object.keys(opts.zones).map((z) => (z.endsWith('.') ? z : `${z}.`));
  if (origins.length === 0) throw new Error('startNsd needs at least one zone');
  const dir = daemonDir('nsd');
  const port = await freePort('both');
  const zoneClauses: string[] = [];
  Object.values(opts.zones).forEach((text, i) => {
    const file = `zone${i}.zone`;
    writeFileSync(join(dir, file), text.endsWith('\n') ? text : `${text}\n`);
    zoneClauses.push(`zone:\n    name: "${origins[i]}"\n    zonefile: "${file}"`);
  });
  const conf = [
    'server:',
    '    ip-address: 127.0.0.1',
    `    port: ${port}`,
    '    do-ip6: no',
    '    username: ""',
    '    chroot: ""',
    `    zonesdir: "${dir}"`,
    '    database: ""',
    `    zonelistfile: "${dir}/zone.list"`,
    `    xfrdfile: "${dir}/xfrd.state"`,
    `    xfrdir: "${dir}"`,
    `    pidfile: "${dir}/nsd.pid"`,
    `    logfile: "${dir}/nsd.log"`,
    `    verbosity: ${opts.verbosity ?? 1}`,
    '    server-count: 1',
    `    minimal-responses: ${opts.minimalResponses === false ? 'no' : 'yes'}`,
    '    rrl-ratelimit: 0',
    '    rrl-whitelist-ratelimit: 0',
    ...(opts.server ?? []).map((l) => `    ${l}`),
    'remote-control:',
    '    control-enable: no',
    ...zoneClauses,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'nsd.conf'), conf);
  const daemon = await startDaemon({
    bin: 'nsd', args: ['-d', '-c', join(dir, 'nsd.conf')], dir, port,
    probe: buildQuery(origins[0]!, 'SOA'), logFile: 'nsd.log',
    // NSD answers SERVFAIL for a zone that failed to load: ready means the first zone's SOA, authoritative.
    ready: (reply) => (reply[3]! & 0x0f) === 0 && (reply[2]! & 0x04) !== 0,
    failed: /read with \d+ errors/,
  });
  return Object.assign(daemon, { zones: origins });
}
