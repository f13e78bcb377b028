/** `dnsmesh ctl` flags and command, as `unbound-control [-s SERVER] COMMAND [ARGS]` takes them. */
export interface CtlArgs {
  /** The admin endpoint, HOST:PORT. */
  readonly server: string;
  readonly token: string | undefined;
  readonly tokenFile: string | undefined;
  /** Print JSON as the endpoint sent it instead of a table. */
  readonly json: boolean;
  readonly command: string;
  readonly args: readonly string[];
}

export class CtlUsageError extends Error {}

export const COMMANDS = ['status', 'stats', 'dump', 'flush', 'reload'] as const;

export const CTL_USAGE = `Usage: dnsmesh ctl [-s HOST:PORT] [-token TOKEN | -token-file FILE] [-json] COMMAND [ARGS]
  -s HOST:PORT      the admin endpoint (default $DNSMESH_ADMIN or 127.0.0.1:8053; \`admin ADDRESS\` in the Corefile)
  -token TOKEN      bearer token for commands that change state (default $DNSMESH_ADMIN_TOKEN)
  -token-file FILE  read the token from FILE
  -json             print JSON as the endpoint sends it
Commands:
  status            version, uptime, configuration (file, hash, reloads) and server blocks
  stats             the server's counters (name{labels} value)
  dump [NAME [TYPE]]  what the cache holds, optionally for one name and type
  flush all | flush NAME [TYPE]  drop cache entries
  reload            load the Corefile again (the running one keeps serving if it has a mistake)`;

export function parseCtlArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CtlArgs {
  let server = env.DNSMESH_ADMIN || '127.0.0.1:8053';
  let token = env.DNSMESH_ADMIN_TOKEN || undefined;
  let tokenFile: string | undefined;
  let json = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) break;
    const name = arg.replace(/^--?/, '');
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new CtlUsageError(`-${name} needs a value`);
      return v;
    };
    switch (name) {
      case 's': server = value(); break;
      case 'token': token = value(); break;
      case 'token-file': tokenFile = value(); break;
      case 'json': json = true; break;
      default: throw new CtlUsageError(`unknown flag ${arg}`);
    }
  }
  const [command, ...args] = argv.slice(i);
  if (command === undefined) throw new CtlUsageError('no command');
  if (!(COMMANDS as readonly string[]).includes(command)) throw new CtlUsageError(`unknown command '${command}'`);
  const max: number = command === 'dump' || command === 'flush' ? 2 : 0;
  if (args.length > max) throw new CtlUsageError(`${command} takes at most ${max} argument${max === 1 ? '' : 's'}`);
  if (command === 'flush' && args.length === 0) throw new CtlUsageError("flush needs 'all' or a NAME [TYPE]");
  if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d+$/.test(server)) throw new CtlUsageError(`-s takes HOST:PORT, got '${server}'`);
  return { server, token, tokenFile, json, command, args };
}
