// @dnsmesh/testkit: what tests need to talk DNS on loopback. Every socket is on 127.0.0.1 (or ::1).
export { fakeUpstream } from './fake-upstream.js';
export type { FakeUpstream, FakeUpstreamOptions, QueryHook, QueryInfo, ReceivedQuery } from './fake-upstream.js';
export type { LoopbackHost } from './same-port.js';
export { normalizeName, soaRecord } from './record-table.js';
export type {
  CnameEntry, RcodeEntry, RecordData, RecordSet, RecordTable, RecordWithTtl, SoaSpec, TableEntry,
} from './record-table.js';
export { query, queryRaw } from './query.js';
export type { ExchangeOptions, QueryOptions } from './query.js';
export { aAnswer } from './a-answer.js';
export { buildQuery } from './build-query.js';
export type { BuildQueryOptions } from './build-query.js';
export { toReply } from './reply.js';
export type { ExtendedError, Reply, ReplyFlags } from './reply.js';
export { tcpSession } from './tcp-session.js';
export type { TcpSession } from './tcp-session.js';
export { frame, FrameReader } from './tcp-frames.js';
export { formatAddress, isLoopback, serverAddress } from './server-address.js';
export type { ServerAddress, Transport } from './server-address.js';
export { freePort } from './free-port.js';
export { checkDigArgs, dig, kdig } from './dig.js';
export type { DigOptions } from './dig.js';
export { parseDigAnswer } from './dig-output.js';
export type { DigAnswer, DigRecord } from './dig-output.js';
export { RCODES, rcodeName } from './rcode.js';
export type {
  AnyRecord, DecodedPacket, DnsRecord, EdnsOption, MxData, OptRecord, Packet, Question, SoaData, SrvData,
} from './message.js';
export { authority, soa as authoritySoa, a as authorityA, cname as authorityCname, aRecords, type Authority, type AuthorityAnswer } from './authority.js';
export { directiveOf, testBlock, loadWith } from './setup-helpers.js';
export { endOfChain } from './end-of-chain.js';
export { loadReadmeExamples, readmeCorefiles } from './readme-examples.js';
export { hostileUpstream, misbehave, HOSTILITIES } from './hostile-upstream.js';
export type { Hostility, HostileUpstream } from './hostile-upstream.js';
export { startNsd } from './nsd.js';
export type { Nsd, NsdOptions } from './nsd.js';
export { startUnbound } from './unbound.js';
export type { UnboundOptions } from './unbound.js';
export type { Daemon } from './daemon.js';
export { signZone } from './sign-zone.js';
export type { SignedZone, SignZoneOptions } from './sign-zone.js';
export { fuzzServer, fuzzQuery, prng } from './socket-fuzz.js';
export type { SocketFuzzOptions, SocketFuzzStats } from './socket-fuzz.js';
export { makeCertificates, type TestCertificates } from './certs.js';
export { tlsUpstream, type TlsUpstream, type TlsUpstreamOptions } from './tls-upstream.js';
