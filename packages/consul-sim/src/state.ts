// The catalog: nodes, services, their checks and the raft-like indexes that blocking queries watch.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { CheckStatus } from './options.js';

export interface NodeInput {
  name: string; address: string; meta?: Record<string, string>; id?: string;
  /** Consul's node TaggedAddresses (`lan_ipv4`, `lan_ipv6`, `wan`, ...), over the ones made from `address`. */
  taggedAddresses?: Record<string, string>;
  /** Another datacenter than the agent's (a WAN-joined one): its data answers `?dc=` reads for it. */
  datacenter?: string;
}
export interface ServiceInput {
  id?: string; name: string; node: string; tags?: readonly string[]; address?: string; port?: number;
  meta?: Record<string, string>; weights?: { passing?: number; warning?: number };
  /** Consul's service TaggedAddresses (`lan_ipv4`, `lan_ipv6`, `wan`, ...); the agent adds `lan_ipv4`/`wan_ipv4` (or `_ipv6`) from an IP `address`. */
  taggedAddresses?: Record<string, { address: string; port?: number }>;
  /** Initial status of the service's own check (default passing). */
  status?: CheckStatus;
  /** A sidecar proxy (Kind `connect-proxy`) for this destination service: a `.connect` endpoint of it. */
  proxyFor?: string;
  /** A Connect-native service: its own `.connect` endpoint. */
  connectNative?: boolean;
  /** An ingress gateway (Kind `ingress-gateway`) that exposes these services: their `.ingress` endpoint. */
  ingressFor?: readonly string[];
  /** Consul Enterprise: the namespace and admin partition it is registered in (default `default`). */
  namespace?: string;
  partition?: string;
  /** Registered without a check of its own: only its node's serfHealth decides its health. */
  noCheck?: boolean;
}
export interface CheckInput { node: string; serviceId?: string; status: CheckStatus; output?: string }
export interface PreparedQueryInput {
  id?: string; name: string; service: string; tags?: readonly string[]; onlyPassing?: boolean; ttl?: number;
}

export interface Check { status: CheckStatus; output: string; createIndex: number; modifyIndex: number }
export interface NodeEntry {
  readonly id: string; readonly name: string; address: string;
  meta: Record<string, string>; serf: Check; createIndex: number; modifyIndex: number;
  /** As given at registration (the JSON adds the ones made from the address). */
  taggedAddresses: Record<string, string>;
  /** Undefined: the agent's own datacenter. */
  datacenter: string | undefined;
}
export interface ServiceEntry {
  readonly id: string; readonly name: string; readonly node: string; tags: string[]; address: string; port: number;
  meta: Record<string, string>; weights: { Passing: number; Warning: number }; check: Check;
  createIndex: number; modifyIndex: number;
  /** As the agent stores them: the given ones, plus lan_/wan_ipv4 (or _ipv6) from an IP address. */
  taggedAddresses: Record<string, { Address: string; Port: number }>;
  /** The destination of a sidecar proxy; undefined for a typical service. */
  proxyFor?: string;
  connectNative?: boolean;
  ingressFor?: readonly string[];
  namespace: string;
  partition: string;
  /** No service check: the service's health is its node's. */
  noCheck: boolean;
}
export interface PreparedQuery {
  readonly id: string; readonly name: string; readonly service: string; readonly tags: readonly string[];
  readonly onlyPassing: boolean; readonly ttl: number | undefined;
}
/** One service instance joined with its node; `status` is the worst of the node and service checks. */
export interface Instance { readonly node: NodeEntry; readonly service: ServiceEntry; readonly status: CheckStatus }

export type WakeReason = 'write' | 'reset' | 'close';
const RANK: Record<CheckStatus, number> = { passing: 0, warning: 1, critical: 2 };
const lower = (s: string): string => s.toLowerCase();

/** A stable UUID-shaped ID from a name, so bodies are the same on every run. */
export function stableId(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Where a read looks: a datacenter (undefined: the agent's own), a namespace and a partition. */
export interface ReadScope { readonly dc: string | undefined; readonly ns: string; readonly ap: string }

export class Catalog {
  #index = 0;
  /** The services table's index (Consul's, for /v1/catalog/services): moves only when a service is added, changed or removed. */
  #servicesIndex = 0;
  readonly #serviceIndex = new Map<string, number>(); // lowercased name -> last write touching it
  readonly #nodes = new Map<string, NodeEntry>();      // lowercased name
  readonly #services = new Map<string, ServiceEntry>(); // id (unique in the simulator)
  readonly #virtualIps = new Map<string, string>();    // lowercased service name: its virtual IP
  readonly #queries = new Map<string, PreparedQuery>();
  readonly #watchers = new Set<(reason: WakeReason) => void>();

  get index(): number { return this.#index; }
  get servicesIndex(): number { return Math.max(1, this.#servicesIndex); }

  /** Whether an instance is in a read's scope. */
  inScope(i: Instance, scope: ReadScope): boolean {
    return lower(i.node.datacenter ?? '') === lower(scope.dc ?? '') && i.service.namespace === lower(scope.ns) && i.service.partition === lower(scope.ap);
  }

  /** The datacenters that nodes are registered in, besides the agent's own. */
  otherDatacenters(): Set<string> {
    const out = new Set<string>();
    for (const n of this.#nodes.values()) if (n.datacenter !== undefined) out.add(n.datacenter);
    return out;
  }

  /** The index a blocking health query on `name` sees; the global one for a never-seen name. */
  serviceIndex(name: string): number { return this.#serviceIndex.get(lower(name)) ?? this.#index; }

  /** Called on every write, on an index reset and on close; returns the unsubscribe function. */
  watch(fn: (reason: WakeReason) => void): () => void {
    this.#watchers.add(fn);
    return () => this.#watchers.delete(fn);
  }
  wakeAll(reason: WakeReason): void { for (const fn of [...this.#watchers]) fn(reason); }

  registerNode(input: NodeInput): NodeEntry {
    if (isIP(input.address) === 0) throw new TypeError(`consul-sim: node ${input.name}: address must be an IP`);
    for (const [k, v] of Object.entries(input.taggedAddresses ?? {})) {
      if (typeof v !== 'string') throw new TypeError(`consul-sim: node ${input.name}: tagged address ${k} must be a string`);
    }
    const index = this.#next();
    const old = this.#nodes.get(lower(input.name));
    const node: NodeEntry = old ?? {
      id: input.id ?? stableId(input.name), name: input.name, address: input.address, meta: {}, taggedAddresses: {}, datacenter: undefined,
      serf: { status: 'passing', output: 'Agent alive and reachable', createIndex: index, modifyIndex: index },
      createIndex: index, modifyIndex: index,
    };
    node.address = input.address;
    node.meta = { ...input.meta };
    node.taggedAddresses = { ...input.taggedAddresses };
    node.datacenter = input.datacenter === undefined ? undefined : lower(input.datacenter);
    node.modifyIndex = index;
    this.#nodes.set(lower(input.name), node);
    this.#touch(this.#namesOn(node.name), index);
    return node;
  }

  deregisterNode(name: string): void {
    const node = this.#mustNode(name);
    const index = this.#next();
    const names = this.#namesOn(node.name);
    for (const s of this.servicesOn(node.name)) this.#services.delete(s.id);
    if (names.length > 0) this.#servicesIndex = index;
    this.#nodes.delete(lower(name));
    this.#touch(names, index);
  }

  /** The virtual IP of a service in the mesh (one with a sidecar proxy or Connect-native), if it has one. */
  virtualIp(name: string): string | undefined {
    return this.#virtualIps.get(lower(name));
  }

  #virtualIpFor(name: string): string {
    let ip = this.#virtualIps.get(lower(name));
    if (ip === undefined) {
      const n = this.#virtualIps.size + 1;                 // kept once given, as Consul's allocation
      ip = `240.0.${(n >> 8) & 0xff}.${n & 0xff}`;
      this.#virtualIps.set(lower(name), ip);
    }
    return ip;
  }

  registerService(input: ServiceInput): ServiceEntry {
    const node = this.#mustNode(input.node);
    const same = this.#services.get(input.name);
    // Consul IDs are unique per node; here they are unique in the whole simulator.
    const id = input.id ?? (same === undefined || lower(same.node) === lower(node.name) ? input.name : `${input.name}-${node.name}`);
    const index = this.#next();
    const old = this.#services.get(id);
    const status = input.status ?? old?.check.status ?? 'passing';
    const tags = [...(input.tags ?? [])];
    // A check written again unchanged keeps its ModifyIndex, as Consul's state store does.
    const checkSame = old !== undefined && old.check.status === status && old.tags.join(',') === tags.join(',') && old.noCheck === (input.noCheck === true);
    const service: ServiceEntry = {
      id, name: input.name, node: node.name, tags, address: input.address ?? '',
      port: input.port ?? 0, meta: { ...input.meta },
      weights: { Passing: input.weights?.passing ?? 1, Warning: input.weights?.warning ?? 1 },
      check: { status, output: old?.check.output ?? '', createIndex: old?.check.createIndex ?? index, modifyIndex: checkSame ? old.check.modifyIndex : index },
      namespace: lower(input.namespace ?? 'default'), partition: lower(input.partition ?? 'default'), noCheck: input.noCheck === true,
      createIndex: old?.createIndex ?? index, modifyIndex: index,
      taggedAddresses: serviceTagged(input),
      ...(input.proxyFor !== undefined ? { proxyFor: input.proxyFor } : {}),
      ...(input.connectNative === true ? { connectNative: true } : {}),
      ...(input.ingressFor !== undefined ? { ingressFor: [...input.ingressFor] } : {}),
    };
    // Consul gives every service in the mesh a virtual IP (240.0.0.0/4) and tags its proxies
    // (and a Connect-native service's instances) with it as `consul-virtual`.
    const meshName = service.proxyFor ?? (service.connectNative === true ? service.name : undefined);
    if (meshName !== undefined) service.taggedAddresses['consul-virtual'] = { Address: this.#virtualIpFor(meshName), Port: service.port };
    // The services table moves only when the service really changed (an idempotent write does not move it).
    if (old === undefined || serviceBody(old) !== serviceBody(service)) this.#servicesIndex = index;
    this.#services.set(id, service);
    const names = old !== undefined && old.name !== service.name ? [old.name, service.name] : [service.name];
    if (service.proxyFor !== undefined) names.push(service.proxyFor);     // the destination's .connect answers move
    for (const n of service.ingressFor ?? []) names.push(n);
    this.#touch(names, index);
    return service;
  }

  deregisterService(id: string): void {
    const s = this.#services.get(id);
    if (s === undefined) throw new RangeError(`consul-sim: unknown service ID ${id}`);
    const index = this.#next();
    this.#services.delete(id);
    this.#servicesIndex = index;
    this.#touch([s.name], index);
  }

  /** Without serviceId it sets the node's serfHealth check, which every instance on it inherits. */
  setCheck(input: CheckInput): void {
    const node = this.#mustNode(input.node);
    let check: Check;
    let names: string[];
    if (input.serviceId === undefined) {
      check = node.serf;
      names = this.#namesOn(node.name);
    } else {
      const s = this.#services.get(input.serviceId);
      if (s === undefined || lower(s.node) !== lower(node.name)) {
        throw new RangeError(`consul-sim: no service ${input.serviceId} on node ${input.node}`);
      }
      if (s.noCheck) throw new RangeError(`consul-sim: service ${input.serviceId} has no check`);
      check = s.check;
      names = [s.name];
    }
    const index = this.#next();
    check.status = input.status;
    check.output = input.output ?? check.output;
    check.modifyIndex = index;
    this.#touch(names, index);
  }

  /** Replaces the node's own meta keys (consul-network-segment and consul-version always stay). */
  setNodeMeta(name: string, meta: Record<string, string>): void {
    const node = this.#mustNode(name);
    const index = this.#next();
    node.meta = { ...meta };
    node.modifyIndex = index;
    this.#touch(this.#namesOn(node.name), index);
  }

  /** A write that changes nothing: waiters on `service` (or on every service) wake with the same body. */
  bumpIndex(service?: string): number {
    const index = this.#next();
    this.#touch(service === undefined ? [...this.#serviceIndex.keys()] : [service], index);
    return index;
  }

  /** A snapshot restore: every index goes down and every waiter wakes at once. */
  resetIndex(to?: number): number {
    const lowerTo = (i: number): number => (to === undefined ? Math.max(1, Math.floor(i / 2)) : Math.min(i, to));
    this.#index = to === undefined ? lowerTo(this.#index) : Math.max(1, to);
    this.#servicesIndex = Math.max(1, lowerTo(this.#servicesIndex));
    for (const [name, i] of this.#serviceIndex) this.#serviceIndex.set(name, Math.max(1, lowerTo(i)));
    this.wakeAll('reset');
    return this.#index;
  }

  registerPreparedQuery(input: PreparedQueryInput): PreparedQuery {
    const q: PreparedQuery = {
      id: input.id ?? stableId(`query:${input.name}`), name: input.name, service: input.service,
      tags: input.tags ?? [], onlyPassing: input.onlyPassing ?? false, ttl: input.ttl,
    };
    this.#next();
    this.#queries.set(q.id, q);
    this.wakeAll('write');
    return q;
  }

  /** By ID first, then by name, as Consul resolves `<name-or-id>.query`. */
  preparedQuery(idOrName: string): PreparedQuery | undefined {
    const byId = this.#queries.get(idOrName);
    if (byId !== undefined) return byId;
    for (const q of this.#queries.values()) if (lower(q.name) === lower(idOrName)) return q;
    return undefined;
  }

  node(name: string): NodeEntry | undefined { return this.#nodes.get(lower(name)); }
  nodes(): NodeEntry[] { return [...this.#nodes.values()].sort((a, b) => cmp(a.name, b.name)); }
  service(id: string): ServiceEntry | undefined { return this.#services.get(id); }
  servicesOn(node: string): ServiceEntry[] {
    return [...this.#services.values()].filter((s) => lower(s.node) === lower(node)).sort((a, b) => cmp(a.id, b.id));
  }

  /** Every instance of a service (name match is case-insensitive), sorted by node then service ID. */
  instances(name: string): Instance[] {
    const out: Instance[] = [];
    for (const s of this.#services.values()) {
      if (lower(s.name) !== lower(name)) continue;
      const node = this.#nodes.get(lower(s.node))!;
      out.push({ node, service: s, status: statusOf(node, s) });
    }
    return out.sort((a, b) => cmp(a.node.name, b.node.name) || cmp(a.service.id, b.service.id));
  }

  /**
   * The Connect endpoints of a service, as `/v1/health/connect/:svc` and `.connect` give them: its
   * sidecar proxies, and its own instances when it is Connect-native.
   */
  connectInstances(name: string): Instance[] {
    const out: Instance[] = [];
    for (const s of this.#services.values()) {
      const proxy = s.proxyFor !== undefined && lower(s.proxyFor) === lower(name);
      const native = s.connectNative === true && lower(s.name) === lower(name);
      if (!proxy && !native) continue;
      const node = this.#nodes.get(lower(s.node))!;
      out.push({ node, service: s, status: statusOf(node, s) });
    }
    return out.sort((a, b) => cmp(a.node.name, b.node.name) || cmp(a.service.id, b.service.id));
  }

  /** The ingress gateways that expose a service (`/v1/health/ingress/:svc`, `.ingress`). */
  ingressInstances(name: string): Instance[] {
    const out: Instance[] = [];
    for (const s of this.#services.values()) {
      if (!(s.ingressFor ?? []).some((n) => lower(n) === lower(name))) continue;
      const node = this.#nodes.get(lower(s.node))!;
      out.push({ node, service: s, status: statusOf(node, s) });
    }
    return out.sort((a, b) => cmp(a.node.name, b.node.name) || cmp(a.service.id, b.service.id));
  }

  /** name -> every tag of every instance, for /v1/catalog/services. */
  serviceTags(scope?: ReadScope): Map<string, string[]> {
    const out = new Map<string, Set<string>>();
    for (const s of this.#services.values()) {
      const node = this.#nodes.get(lower(s.node))!;
      if (scope !== undefined && !this.inScope({ node, service: s, status: 'passing' }, scope)) continue;
      const tags = out.get(s.name) ?? new Set<string>();
      for (const t of s.tags) tags.add(t);
      out.set(s.name, tags);
    }
    return new Map([...out].sort(([a], [b]) => cmp(a, b)).map(([n, t]) => [n, [...t].sort(cmp)]));
  }

  #next(): number { return ++this.#index; }
  #touch(names: Iterable<string>, index: number): void {
    for (const n of names) this.#serviceIndex.set(lower(n), index);
    this.wakeAll('write');
  }
  #namesOn(node: string): string[] { return [...new Set(this.servicesOn(node).map((s) => s.name))]; }
  #mustNode(name: string): NodeEntry {
    const node = this.#nodes.get(lower(name));
    if (node === undefined) throw new RangeError(`consul-sim: unknown node ${name}`);
    return node;
  }
}

function cmp(a: string, b: string): number { return a < b ? -1 : a > b ? 1 : 0; }

/** The worst of the node's serfHealth and the service's own check (none: the node's alone). */
function statusOf(node: NodeEntry, s: ServiceEntry): CheckStatus {
  if (s.noCheck) return node.serf.status;
  return RANK[node.serf.status] >= RANK[s.check.status] ? node.serf.status : s.check.status;
}

/** What the services table holds of a service (not its check): a change of it moves the table's index. */
function serviceBody(s: ServiceEntry): string {
  return JSON.stringify([s.name, s.node, s.tags, s.address, s.port, s.meta, s.weights, s.taggedAddresses, s.proxyFor, s.connectNative, s.ingressFor, s.namespace, s.partition]);
}

/** The agent's defaults (agent.AddService): lan_ipv4 and wan_ipv4 (or _ipv6) from an IP address, unless given. */
function serviceTagged(input: ServiceInput): Record<string, { Address: string; Port: number }> {
  for (const [k, v] of Object.entries(input.taggedAddresses ?? {})) {
    if (typeof v?.address !== 'string') throw new TypeError(`consul-sim: service ${input.name}: tagged address ${k} must be { address, port? }`);
  }
  const port = input.port ?? 0;
  const out: Record<string, { Address: string; Port: number }> = {};
  const family = isIP(input.address ?? '');
  if (family !== 0) {
    const suffix = family === 4 ? 'ipv4' : 'ipv6';
    out[`lan_${suffix}`] = { Address: input.address!, Port: port };
    out[`wan_${suffix}`] = { Address: input.address!, Port: port };
  }
  for (const [k, v] of Object.entries(input.taggedAddresses ?? {})) out[k] = { Address: v.address, Port: v.port ?? port };
  return out;
}
