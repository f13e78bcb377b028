// @dnsmesh/consul-sim: a Consul agent's DNS and HTTP interfaces, for tests and the demo.
export { ConsulSim, startConsulSim } from './sim.js';
export type { SimOptions, DnsConfig, AclOptions, CheckStatus, TlsOptions } from './options.js';
export { makeTestCerts, type TestCerts } from './testing/certs.js';
export type { NodeInput, ServiceInput, CheckInput, PreparedQueryInput } from './state.js';
export type { BigServiceOptions } from './big-service.js';
export type { FailureMode, FailureOptions } from './failures.js';
export type { Counters } from './counters.js';
export { loadDemo, type Fixture } from './demo.js';
