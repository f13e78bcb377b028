#!/usr/bin/env node
import { CorefileError, flushLogs, logDestination, loggerOptions, setLogFormat, systemClock, writeOutput } from '@dnsmesh/core';
import pino from 'pino';
import { FlagError, parseFlags, USAGE } from './flags.js';
import { Supervisor } from './supervisor.js';
import { describePlugins } from './plugin-loader.js';
import { builtinPackages, builtinRegistry } from './plugins.js';
import { VERSION } from './version.js';
import { runCtl } from './ctl/run.js';
import { applyRuntimeGcFlags } from './gc-flags.js';
import { isWorker, joinPrimary, runPrimary, workerCount } from './workers.js';

async function main(): Promise<number> {
  if (process.argv[2] === 'ctl') return runCtl(process.argv.slice(3));
  let flags;
  try {
    flags = parseFlags(process.argv.slice(2));
  } catch (err) {
    if (err instanceof FlagError) { process.stderr.write(`dnsmesh: ${err.message}\n${USAGE}\n`); return 2; }
    throw err;
  }
  if (flags.help) { process.stdout.write(`${USAGE}\n`); return 0; }
  if (flags.version) { process.stdout.write(`dnsmesh-${VERSION}\nnode-${process.version.slice(1)}\n`); return 0; }
  const registry = builtinRegistry();
  if (flags.plugins) {
    process.stdout.write(await describePlugins(registry, builtinPackages(), { conf: flags.conf }));
    return 0;
  }
  // Before anything serves (a worker of -workers N sets them too: it runs this same path).
  applyRuntimeGcFlags();
  // One stream (stdout) and one format for server messages and the query log, as CoreDNS.
  setLogFormat(flags.logFormat);
  const logger = pino(loggerOptions(flags.quiet ? 'warn' : 'info'), logDestination());
  const supervisor = new Supervisor({ conf: flags.conf, dnsPort: flags.dnsPort, registry, clock: systemClock, logger, udpBatch: flags.udpBatch, warmup: flags.warmup });
  if (flags.check) {
    try {
      const blocks = await supervisor.check();
      process.stdout.write(`${flags.conf}: OK (${blocks.length} server block${blocks.length === 1 ? '' : 's'}: ${blocks.map((b) => `${b.zones.join(' ')}:${b.port}`).join(', ')})\n`);
      return 0;
    } catch (err) {
      process.stderr.write(`${describe(err, flags.conf)}\n`);
      return 1;
    }
  }
  const workers = workerCount(flags.workers);
  if (workers > 1 && !isWorker) {
    // The primary checks the Corefile (FILE:LINE errors before anything binds), then forks.
    let blocks;
    try {
      blocks = await supervisor.check();
    } catch (err) {
      process.stderr.write(`${describe(err, flags.conf)}\n`);
      return 1;
    }
    return runPrimary(workers, logger, () => {
      logger.info({ workers }, `${workers} workers serving`);
      if (!flags.quiet) {
        for (const block of blocks) writeOutput(`${block.zones.join(' ')}:${block.port}\n`);
        writeOutput(`dnsmesh-${VERSION}\n`);
      }
    });
  }
  let server;
  try {
    server = await supervisor.start();
  } catch (err) {
    process.stderr.write(`${describe(err, flags.conf)}\n`);
    return 1;
  }
  if (isWorker) joinPrimary(supervisor.metrics);
  else if (!flags.quiet) {
    for (const block of server.blocks) writeOutput(`${block.zones.join(' ')}:${block.port || server.port}\n`);
    writeOutput(`dnsmesh-${VERSION}\n`);
  }
  process.on('SIGHUP', () => { void supervisor.reload('SIGHUP'); });
  process.on('SIGUSR1', () => supervisor.summary());
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping: draining in-flight queries');
      // A safety net only: the stop itself takes the lameduck (at most 60 s, when configured) plus a drain of 4.5 s.
      const force = setTimeout(() => resolve(0), 65_000);
      supervisor.stop(4500).then(() => { clearTimeout(force); resolve(0); }, () => resolve(1));
    };
    // A plugin that must stop the server (loop): stop now, then exit with its code.
    void supervisor.exitRequested.then((code) => {
      if (stopping) return;
      stopping = true;
      supervisor.stop(0).finally(() => resolve(code));
    });
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

function describe(err: unknown, conf: string): string {
  if (err instanceof CorefileError) return err.message;
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT' && e.path === conf) return `${conf}: no such file (give one with -conf FILE)`;
  return `dnsmesh: ${e.message ?? String(err)}`;
}

main().then((code) => { flushLogs(); process.exit(code); }, (err) => {
  flushLogs();
  process.stderr.write(`dnsmesh: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
