// The demo catalog, and fixtures (the same shape, read from JSON by the CLI).
import type { BigServiceOptions } from './big-service.js';
import type { SimOptions } from './options.js';
import type { ConsulSim } from './sim.js';
import type { CheckInput, NodeInput, PreparedQueryInput, ServiceInput } from './state.js';

export interface Fixture {
  /** Simulator options (the CLI's port flags win over these). */
  options?: SimOptions;
  nodes?: NodeInput[];
  services?: ServiceInput[];
  checks?: CheckInput[];
  bigServices?: Array<BigServiceOptions & { name: string; count: number }>;
  queries?: PreparedQueryInput[];
}

/** web: 40 instances (so UDP trimming shows), api: 3, db: 1 passing and 1 critical. */
export const DEMO: Fixture = {
  bigServices: [{ name: 'web', count: 40, port: 8080, tags: ['primary'] }],
  nodes: [
    { name: 'api-1', address: '10.1.0.1', meta: { availability_zone: 'us-west-2a' } },
    { name: 'api-2', address: '10.1.0.2', meta: { availability_zone: 'us-west-2b' } },
    { name: 'api-3', address: '10.1.0.3', meta: { availability_zone: 'us-west-2c' } },
    { name: 'db-1', address: '10.2.0.1', meta: { availability_zone: 'us-west-2a', role: 'primary' } },
    { name: 'db-2', address: '10.2.0.2', meta: { availability_zone: 'us-west-2b', role: 'replica' } },
  ],
  services: [
    { id: 'api-1', name: 'api', node: 'api-1', port: 9090, tags: ['v1'] },
    { id: 'api-2', name: 'api', node: 'api-2', port: 9090, tags: ['v1'] },
    { id: 'api-3', name: 'api', node: 'api-3', port: 9090, tags: ['v2', 'canary'] },
    { id: 'db-1', name: 'db', node: 'db-1', port: 5432, tags: ['primary'] },
    { id: 'db-2', name: 'db', node: 'db-2', port: 5432, tags: ['replica'], status: 'critical' },
  ],
  queries: [{ name: 'api-nearest', service: 'api', ttl: 10 }],
};

/** Registers a fixture's contents, in dependency order. */
export function loadDemo(sim: ConsulSim, fixture: Fixture = DEMO): void {
  for (const b of fixture.bigServices ?? []) {
    const { name, count, ...opts } = b;
    sim.addBigService(name, count, opts);
  }
  for (const n of fixture.nodes ?? []) sim.registerNode(n);
  for (const s of fixture.services ?? []) sim.registerService(s);
  for (const c of fixture.checks ?? []) sim.setCheck(c);
  for (const q of fixture.queries ?? []) sim.registerPreparedQuery(q);
}
