export { ORDER } from './order.js';
export { builtinRegistry } from './plugins.js';
export { buildServer, type InstanceOptions } from './instance.js';
export { parseFlags, type Flags } from './flags.js';
