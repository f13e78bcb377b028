import dgram from 'node:dgram';
import { buildQuery, type BuildQueryOptions } from './build-query.js';
import { toReply, type Reply } from './reply.js';
import { formatAddress, serverAddress, type ServerAddress, type Transport } from './server-address.js';
import { tcpSession } from './tcp-session.js';

export interface ExchangeOptions {
  /** Default 'udp'. */
  transport?: Transport;
  /** Milliseconds to wait for the reply; default 2000. */
  timeout?: number;
}

export interface QueryOptions extends BuildQueryOptions, ExchangeOptions {}

/**
 * Sends one query to a loopback server and decodes the reply; rejects when no reply arrives in time.
 *
 * @example
 * const reply = await query(server.address, 'web.service.consul', 'A', { edns: 1232 });
 * expect(reply.answers[0]).toMatchObject({ ttl: 30, data: '10.0.0.7' });
 */
export async function query(server: string | ServerAddress, name: string, type = 'A', opts: QueryOptions = {}): Promise<Reply> {
  const raw = await queryRaw(server, buildQuery(name, type, opts), opts);
  if (raw === undefined) {
    const { transport = 'udp', timeout = 2000 } = opts;
    throw new Error(`no reply from ${formatAddress(serverAddress(server))} to ${name} ${type} over ${transport} within ${timeout} ms`);
  }
  return toReply(raw);
}

/**
 * Sends bytes as one query (framed on TCP) and returns the first message that comes back from the
 * server's address, undecoded; undefined when nothing comes within the timeout (or TCP closes first).
 */
export async function queryRaw(server: string | ServerAddress, bytes: Buffer, opts: ExchangeOptions = {}): Promise<Buffer | undefined> {
  const { transport = 'udp', timeout = 2000 } = opts;
  const addr = serverAddress(server);
  if (transport === 'udp') return udpExchange(addr, bytes, timeout);
  const session = await tcpSession(addr);
  try {
    session.send(bytes);
    return await session.nextRaw(timeout);
  } finally {
    await session.close();
  }
}

function udpExchange(addr: ServerAddress, bytes: Buffer, timeout: number): Promise<Buffer | undefined> {
  const v6 = addr.host.includes(':');
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(v6 ? 'udp6' : 'udp4');
    let settled = false;
    const finish = (err: Error | undefined, reply?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.close();
      if (err === undefined) resolve(reply);
      else reject(err);
    };
    const timer = setTimeout(() => finish(undefined), timeout);
    socket.on('error', (err) => finish(err));
    socket.on('message', (msg, rinfo) => {
      if (rinfo.port === addr.port && rinfo.address === addr.host) finish(undefined, msg);
    });
    socket.bind(0, v6 ? '::1' : '127.0.0.1', () => socket.send(bytes, addr.port, addr.host));
  });
}
