import { definePlugin, logDestination, loggerOptions, type Plugin, type ServerBlock } from '@dnsmesh/core';
import pino, { type DestinationStream, type Logger } from 'pino';
import { LogPlugin } from './plugin.js';
import { parse, resolveOptions, type LogInput, type LogOptions } from './setup.js';

export { LogPlugin, classify, type QueryLine } from './plugin.js';
export { parse as parseLog, CLASSES, type LogClass, type LogOptions, type LogInput } from './setup.js';

/**
 * A pino instance that writes query lines: level info, ISO times, `"level":"info"`, no pid or
 * hostname; by default to the process's one log stream (stdout, in the format `-log.format` set).
 */
export function queryLogger(destination: DestinationStream = logDestination()): Logger {
  return pino(loggerOptions('info'), destination);
}

/** Builds the log plugin in a server block. */
export function createLog(options: LogOptions, block: ServerBlock): Plugin {
  return new LogPlugin(options, queryLogger(options.destination), block.clock);
}

/**
 * log for code composition; place it after prometheus and before the rest:
 * `createServer({ plugins: [logPlugin(), cache(), ...] })`. `destination` takes any `{ write(line) }`.
 */
export function logPlugin(input: LogInput = {}): (block: ServerBlock) => Plugin {
  const options = resolveOptions(input);
  return (block) => createLog(options, block);
}

/** `log [NAMES...] [FORMAT] { class all|denial|error|success }`: one JSON line per query on stdout. */
export const log = definePlugin<LogOptions>({
  name: 'log',
  repeatable: true,
  core: '^0.1.0',
  parse,
  create: createLog,
});
