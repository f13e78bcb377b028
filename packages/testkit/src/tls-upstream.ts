import type net from 'node:net';
import tls from 'node:tls';
import type { FakeUpstream } from './fake-upstream.js';
import { HOST } from './same-port.js';

/** A DNS-over-TLS front for a fake upstream, and what it saw. */
export interface TlsUpstream {
  readonly host: string;
  readonly port: number;
  /** '127.0.0.1:PORT' */
  readonly address: string;
  /** TLS connections whose handshake completed, and of those, how many resumed a session. */
  readonly connections: number;
  readonly resumed: number;
  /** Handshakes that failed (a client that did not trust us, or showed no certificate when one was asked). */
  readonly failedHandshakes: number;
  /** Closes the listener and every open connection (the fake upstream stays up). */
  close(): Promise<void>;
}

export interface TlsUpstreamOptions {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Ask clients for a certificate this CA signed. */
  readonly ca?: Buffer;
}

/**
 * Serves a fake upstream's answers over DNS over TLS (RFC 7858) on 127.0.0.1: a Node `tls` server
 * whose connections go to `upstream.accept` (queries are recorded with transport 'tcp'). Session
 * tickets are on (Node's default), so a client can resume.
 *
 * @example
 * const up = await fakeUpstream({ 'web.svc.test A': { ttl: 30, data: ['10.0.0.7'] } });
 * const dot = await tlsUpstream(up, { cert: certs.read('server.pem'), key: certs.read('server.key') });
 */
export async function tlsUpstream(upstream: FakeUpstream, opts: TlsUpstreamOptions): Promise<TlsUpstream> {
  const sockets = new Set<net.Socket>();
  const state = { connections: 0, resumed: 0, failedHandshakes: 0 };
  const server = tls.createServer({
    cert: opts.cert, key: opts.key, minVersion: 'TLSv1.2', ALPNProtocols: ['dot'],
    ...(opts.ca !== undefined ? { ca: opts.ca, requestCert: true, rejectUnauthorized: true } : {}),
  }, (socket) => {
    state.connections++;
    if (socket.isSessionReused()) state.resumed++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    upstream.accept(socket);
  });
  server.on('tlsClientError', () => { state.failedHandshakes++; });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as net.AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    host: HOST, port, address: `${HOST}:${port}`,
    get connections() { return state.connections; },
    get resumed() { return state.resumed; },
    get failedHandshakes() { return state.failedHandshakes; },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}
