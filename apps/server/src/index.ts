export { ORDER } from './order.js';
export { builtinRegistry } from './plugins.js';
export { parseFlags, type Flags } from './flags.js';
export { Supervisor, type SupervisorOptions } from './supervisor.js';
export { ReloadSettings } from './reload/setup.js';
