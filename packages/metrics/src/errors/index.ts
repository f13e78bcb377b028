import { definePlugin, type Plugin, type ServerBlock } from '@dnsmesh/core';
import { ErrorsPlugin } from './plugin.js';
import { parse, resolveOptions, type ErrorsInput, type ErrorsOptions } from './setup.js';

export { ErrorsPlugin } from './plugin.js';
export { parse as parseErrors, LEVELS, type Consolidate, type ErrorsOptions, type ErrorsInput } from './setup.js';

/** Builds the errors plugin in a server block; it logs with the block's logger unless given one. */
export function createErrors(options: ErrorsOptions, block: ServerBlock): Plugin {
  return new ErrorsPlugin(options, options.logger ?? block.logger);
}

/**
 * errors for code composition; place it after log and before the plugins whose errors it logs:
 * `createServer({ plugins: [errorsPlugin({ logger }), cache(), ...] })`.
 */
export function errorsPlugin(input: ErrorsInput = {}): (block: ServerBlock) => Plugin {
  const options = resolveOptions(input);
  return (block) => createErrors(options, block);
}

/** `errors { stacktrace; consolidate DURATION REGEXP [LEVEL] [show_first] }`. */
export const errors = definePlugin<ErrorsOptions>({
  name: 'errors',
  core: '^0.1.0',
  parse,
  create: createErrors,
});
