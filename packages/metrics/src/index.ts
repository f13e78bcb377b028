// @dnsmesh/metrics: the directives that let an operator see and steer a running server.
// One folder per directive: setup (Corefile → options), the plugin or HTTP routes, index (definition + factory).
import type { PluginDefinition } from '@dnsmesh/core';
import { admin } from './admin/index.js';
import { errors } from './errors/index.js';
import { health } from './health/index.js';
import { log } from './log/index.js';
import { prometheus } from './prometheus/index.js';
import { ready } from './ready/index.js';

export * from './prometheus/index.js';
export * from './health/index.js';
export * from './ready/index.js';
export * from './log/index.js';
export * from './errors/index.js';
export * from './admin/index.js';
export { httpUrl, type Mounted, type Route } from './http/listener.js';
export { formatAddress, type HttpAddress } from './http/address.js';

/** Every directive of this package, for a server's registry: `for (const d of definitions) registry.register(d)`. */
export const definitions: readonly PluginDefinition<any>[] = [prometheus, health, ready, log, errors, admin];
