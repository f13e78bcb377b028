// A tiny loopback DNS client for this package's tests: one query over UDP or TCP, decoded.
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { Answer, Decoded, Packet } from 'dns-packet';

export interface QueryOptions {
  /** Adds an OPT record with this UDP size. */
  edns?: number;
  /** Sends a client-subnet option (needs edns). */
  ecs?: string;
  rd?: boolean;
  timeoutMs?: number;
}

export function queryPacket(name: string, type: string, o: QueryOptions = {}): Packet {
  const additionals: Answer[] = [];
  if (o.edns !== undefined) {
    additionals.push({
      name: '.', type: 'OPT', udpPayloadSize: o.edns, flags: 0,
      options: o.ecs === undefined ? [] : [{ code: 'CLIENT_SUBNET', family: 1, sourcePrefixLength: 24, scopePrefixLength: 0, ip: o.ecs }],
    });
  }
  return {
    id: Math.floor(Math.random() * 65535), type: 'query', flags: o.rd === false ? 0 : dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type, class: 'IN' }], answers: [], authorities: [], additionals,
  };
}

function split(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(address.slice(i + 1)) };
}

/** Resolves with the decoded reply and its size, or rejects after timeoutMs (default 2 s). */
export function udp(address: string, name: string, type: string, o: QueryOptions = {}): Promise<Decoded & { size: number }> {
  const { host, port } = split(address);
  const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { socket.close(); reject(new Error(`udp ${name} ${type}: timeout`)); }, o.timeoutMs ?? 2000);
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve({ ...dnsPacket.decode(msg), size: msg.length });
    });
    socket.send(dnsPacket.encode(queryPacket(name, type, o)), port, host);
  });
}

/** Sends every query on one TCP connection without waiting (pipelining); resolves with the replies by ID order of arrival. */
export function tcp(address: string, queries: Array<[string, string]>, o: QueryOptions = {}): Promise<Array<Decoded & { size: number }>> {
  const { host, port } = split(address);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const out: Array<Decoded & { size: number }> = [];
    let pending: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('tcp: timeout')); }, o.timeoutMs ?? 2000);
    socket.on('error', (err) => { clearTimeout(timer); reject(err); });
    socket.on('connect', () => {
      socket.write(Buffer.concat(queries.map(([n, t]) => dnsPacket.streamEncode(queryPacket(n, t, o)))));
    });
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const len = pending.readUInt16BE(0);
        out.push({ ...dnsPacket.decode(pending.subarray(2, 2 + len)), size: len });
        pending = pending.subarray(2 + len);
      }
      if (out.length === queries.length) { clearTimeout(timer); socket.end(); resolve(out); }
    });
  });
}

export const txt = (rr: Answer): string => (rr.data as Buffer[]).map((b) => b.toString()).join('');
