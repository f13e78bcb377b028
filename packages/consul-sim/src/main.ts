#!/usr/bin/env node
// consul-sim --dns-port 8600 --http-port 8500 [--host 127.0.0.1] [--fixture FILE.json] [--seed N]
// Prints the ports as one JSON line on stdout; exits 0 on SIGTERM or SIGINT.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEMO, loadDemo, type Fixture } from './demo.js';
import { startConsulSim } from './sim.js';

const USAGE = 'usage: consul-sim [--dns-port N] [--http-port N] [--host ADDR] [--fixture FILE.json] [--seed N]';

function port(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${flag}: not a port: ${value}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'dns-port': { type: 'string' }, 'http-port': { type: 'string' }, host: { type: 'string' },
      fixture: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) { process.stdout.write(`${USAGE}\n`); return; }
  const fixture: Fixture = values.fixture === undefined ? DEMO : JSON.parse(readFileSync(values.fixture, 'utf8')) as Fixture;
  const options = { ...fixture.options };
  const dnsPort = port(values['dns-port'], '--dns-port');
  const httpPort = port(values['http-port'], '--http-port');
  if (dnsPort !== undefined) options.dnsPort = dnsPort;
  if (httpPort !== undefined) options.httpPort = httpPort;
  if (values.host !== undefined) options.host = values.host;
  if (values.seed !== undefined) options.seed = Number(values.seed);

  const sim = await startConsulSim(options);
  loadDemo(sim, fixture);
  process.stdout.write(`${JSON.stringify({ dnsPort: sim.dnsPort, httpPort: sim.httpPort, dnsAddress: sim.dnsAddress, httpUrl: sim.httpUrl })}\n`);
  const stop = (): void => { void sim.close().then(() => process.exit(0)); };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`consul-sim: ${(err as Error).message}\n${USAGE}\n`);
  process.exit(1);
});
