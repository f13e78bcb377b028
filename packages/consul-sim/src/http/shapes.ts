// JSON bodies in Consul's shapes (notes §3): CE fields only, Tags and Checks never null.
import { isIP } from 'node:net';
import { nodeMeta } from '../dns/records.js';
import type { SimConfig } from '../options.js';
import type { Instance, NodeEntry, ServiceEntry } from '../state.js';

export function nodeJson(n: NodeEntry, cfg: SimConfig): Record<string, unknown> {
  const v6 = isIP(n.address) === 6;
  return {
    ID: n.id, Node: n.name, Address: n.address, Datacenter: n.datacenter ?? cfg.datacenter,
    TaggedAddresses: {
      ...(v6
      ? { lan: n.address, lan_ipv6: n.address, wan: n.address, wan_ipv6: n.address }
      : { lan: n.address, lan_ipv4: n.address, wan: n.address, wan_ipv4: n.address }),
      ...n.taggedAddresses,
    },
    Meta: nodeMeta(n, cfg), CreateIndex: n.createIndex, ModifyIndex: n.modifyIndex,
  };
}

/** Address stays "" when the node address is used; TaggedAddresses as the agent stored them (none then). */
export function serviceJson(s: ServiceEntry): Record<string, unknown> {
  const tagged = Object.keys(s.taggedAddresses).length > 0;
  return {
    ID: s.id, Service: s.name, Tags: [...s.tags], Address: s.address, Port: s.port,
    ...(tagged ? { TaggedAddresses: structuredClone(s.taggedAddresses) } : {}), Meta: { ...s.meta },
    Weights: { ...s.weights }, EnableTagOverride: false, CreateIndex: s.createIndex, ModifyIndex: s.modifyIndex,
    ...(s.proxyFor !== undefined ? { Kind: 'connect-proxy', Proxy: { DestinationServiceName: s.proxyFor } } : {}),
    ...(s.connectNative === true ? { Connect: { Native: true } } : {}),
    ...(s.ingressFor !== undefined ? { Kind: 'ingress-gateway' } : {}),
    // Consul Enterprise names them; CE leaves them out (the simulator: only when not default).
    ...(s.namespace !== 'default' || s.partition !== 'default' ? { Namespace: s.namespace, Partition: s.partition } : {}),
  };
}

export function checksJson(i: Instance): Array<Record<string, unknown>> {
  const { node: n, service: s } = i;
  const checks = [
    {
      Node: n.name, CheckID: 'serfHealth', Name: 'Serf Health Status', Status: n.serf.status, Notes: '',
      Output: n.serf.output, ServiceID: '', ServiceName: '', ServiceTags: [],
    },
    {
      Node: n.name, CheckID: `service:${s.id}`, Name: `Service '${s.name}' check`, Status: s.check.status,
      Notes: '', Output: s.check.output, ServiceID: s.id, ServiceName: s.name, ServiceTags: [...s.tags],
    },
  ];
  return s.noCheck ? checks.slice(0, 1) : checks;
}

/** One element of /v1/health/service/:svc. */
export function healthEntry(i: Instance, cfg: SimConfig): Record<string, unknown> {
  return { Node: nodeJson(i.node, cfg), Service: serviceJson(i.service), Checks: checksJson(i) };
}
