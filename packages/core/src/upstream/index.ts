export { UpstreamError, UpstreamTimeout, UpstreamAborted } from './errors.js';
export { UpstreamStats } from './stats.js';
export { formatAddress, randomId, type UpstreamAddress, type UpstreamTls } from './address.js';
export type { ExchangeOptions, UpstreamTransport } from './options.js';
export { udpExchange } from './udp.js';
export { UdpSocketPool, UDP_POOL_DEFAULT, UDP_POOL_DEFAULTS, type UdpPoolOptions } from './udp-pool.js';
export { TcpPool, TCP_POOL_DEFAULTS, TLS_BACKOFF, type TcpPoolOptions } from './tcp.js';
export { UpstreamClient, exchange, type UpstreamClientOptions } from './exchange.js';
export { fromUpstream, type UpstreamTrust } from './reply.js';
