import { DnsServer, loadBlocks, loadCorefile, type Clock, type PluginRegistry } from '@dnsmesh/core';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';

export interface InstanceOptions {
  readonly conf: string;
  readonly dnsPort: number;
  readonly registry: PluginRegistry;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics?: Registry;
}

/** A Corefile turned into a server that is not yet listening; throws CorefileError on any mistake. */
export async function buildServer(opts: InstanceOptions): Promise<{ server: DnsServer; files: string[] }> {
  const { blocks: configs, files } = loadCorefile(opts.conf);
  if (configs.length === 0) throw new Error(`${opts.conf}: no server blocks`);
  const metrics = opts.metrics ?? new Registry();
  const blocks = await loadBlocks(configs, {
    registry: opts.registry, clock: opts.clock, logger: opts.logger, metrics, defaultPort: opts.dnsPort,
  });
  return { server: new DnsServer(blocks, opts.clock, opts.logger, metrics), files };
}
