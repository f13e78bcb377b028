/** Command-line flags, spelled as CoreDNS spells them (`-conf`), with `--conf` accepted too. */
export interface Flags {
  conf: string;
  dnsPort: number;
  version: boolean;
  plugins: boolean;
  quiet: boolean;
  workers: number | 'auto';
  udpBatch: boolean;
  /** Load and check the Corefile, then exit (like `nginx -t`, `unbound-checkconf`). */
  check: boolean;
  /** `-log.format json|text`: how server messages and the query log are written (one stream, stdout). */
  logFormat: 'json' | 'text';
  /** `-warmup N`: queries the start-up warm-up asks before the listeners open (./warmup/warmup.ts); 0: none. */
  warmup: number;
}

/** The warm-up's size unless -warmup says otherwise: enough that a flood of new names finds the miss path compiled. */
export const DEFAULT_WARMUP = 8000;
/** The most -warmup takes (it is also bounded to 3 s). */
export const MAX_WARMUP = 100_000;

export class FlagError extends Error {}

const BOOLEAN = new Set(['version', 'plugins', 'quiet', 'udp.batch', 'help', 'h', 'check']);
const VALUED = new Set(['conf', 'dns.port', 'workers', 'log.format', 'warmup']);

export function parseFlags(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Flags & { help: boolean } {
  const flags = {
    conf: 'Corefile', dnsPort: 53, version: false, plugins: false, quiet: false, workers: 1 as number | 'auto',
    udpBatch: env.DNSMESH_UDP_BATCH !== '0', help: false, check: false, logFormat: 'json' as 'json' | 'text', warmup: DEFAULT_WARMUP,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--?([a-z.]+)(?:=(.*))?$/.exec(arg);
    if (m === null) throw new FlagError(`unexpected argument '${arg}'`);
    const name = m[1]!;
    let value = m[2];
    if (BOOLEAN.has(name)) {
      const on = value === undefined || value === 'true' || value === '1';
      if (value !== undefined && !on && value !== 'false' && value !== '0') throw new FlagError(`-${name} takes true or false, got '${value}'`);
      if (name === 'version') flags.version = on;
      else if (name === 'plugins') flags.plugins = on;
      else if (name === 'quiet') flags.quiet = on;
      else if (name === 'udp.batch') flags.udpBatch = on;
      else if (name === 'check') flags.check = on;
      else flags.help = on;
      continue;
    }
    if (!VALUED.has(name)) throw new FlagError(`unknown flag -${name}`);
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new FlagError(`-${name} needs a value`);
    }
    switch (name) {
      case 'conf': flags.conf = value; break;
      case 'dns.port': {
        const port = Number(value);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new FlagError(`-dns.port takes a port number, got '${value}'`);
        flags.dnsPort = port;
        break;
      }
      case 'workers': {
        const n = Number(value);
        if (value !== 'auto' && (!Number.isInteger(n) || n < 1 || n > 256)) throw new FlagError(`-workers takes a number or auto, got '${value}'`);
        flags.workers = value === 'auto' ? 'auto' : n;
        break;
      }
      case 'log.format': {
        if (value !== 'json' && value !== 'text') throw new FlagError(`-log.format takes json or text, got '${value}'`);
        flags.logFormat = value;
        break;
      }
      case 'warmup': {
        const n = Number(value);
        if (!/^\d+$/.test(value) || n > MAX_WARMUP) throw new FlagError(`-warmup takes a number of queries from 0 to ${MAX_WARMUP}, got '${value}'`);
        flags.warmup = n;
        break;
      }
      default: throw new FlagError(`unknown flag -${name}`);
    }
  }
  return flags;
}

export const USAGE = `Usage: dnsmesh ctl [-s HOST:PORT] [-token TOKEN] COMMAND   (status, stats, dump, flush, reload; dnsmesh ctl -h)
       dnsmesh [-conf FILE] [-dns.port N] [-quiet] [-version] [-plugins] [-check] [-log.format json|text] [-workers N|auto] [-udp.batch=false] [-warmup N]
  -conf FILE      Corefile to load (default ./Corefile)
  -check          load and check the Corefile (every directive and option), bind nothing, and exit:
                  0 and "FILE: OK" when it is good, 1 and FILE:LINE errors when not
  -dns.port N     port for server blocks that name none (default 53)
  -quiet          no startup output
  -log.format F   json (default) or text: server messages and the query log, one stream on stdout
  -version        print the version and exit
  -plugins        list the directives this server knows, in chain order, and exit
  -workers N      processes sharing the ports (default 1; auto = one per core)
  -udp.batch=false  use Node's dgram even where the batched UDP transport loads (also DNSMESH_UDP_BATCH=0)
  -warmup N       before the ports open, ask a private loopback server N queries so V8 compiles the
                  query path before the first client's query (default 8000, at most 3 s; 0 = none)
  -h, -help       print this and exit`;
