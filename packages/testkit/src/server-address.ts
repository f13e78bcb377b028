export type Transport = 'udp' | 'tcp';

/** Where a test sends DNS: always a loopback address, never anywhere else. */
export interface ServerAddress {
  host: string;
  port: number;
}

export function isLoopback(host: string): boolean {
  return host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Reads '127.0.0.1:1053', '[::1]:1053' or `{ host, port }`, and throws unless the host is a loopback
 * address literal (127.0.0.0/8 or ::1): the testkit never sends a packet anywhere else.
 */
export function serverAddress(server: string | ServerAddress): ServerAddress {
  let host: string;
  let port: number;
  if (typeof server === 'string') {
    const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(server);
    if (m === null) throw new TypeError(`server '${server}' must be HOST:PORT or [HOST]:PORT`);
    host = m[1] ?? m[2]!;
    port = Number(m[3]);
  } else {
    ({ host, port } = server);
  }
  if (!isLoopback(host)) throw new RangeError(`server '${host}' is not a loopback address; tests only talk to 127.0.0.1 or ::1`);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new RangeError(`server port ${port} is not a port number`);
  return { host, port };
}

/** '127.0.0.1:53', '[::1]:53' */
export function formatAddress({ host, port }: ServerAddress): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
