import type { Fingerprinted } from './watch.js';

/**
 * The change feed's view: the body of `GET /v1/health/state/any` (every check of the datacenter)
 * boiled down to one fingerprint per service name and per node. A service whose fingerprint moves
 * (an instance registered or gone, a check's status, tags or ModifyIndex changed) is read again;
 * the rest are left alone. Output text is left out on purpose: it changes with every run of some
 * checks and never changes an answer (its ModifyIndex does not move in Consul for output alone
 * within `check_update_interval`).
 */
export interface FeedView extends Fingerprinted {
  /** Lower-cased service name -> fingerprint of its checks. */
  readonly services: ReadonlyMap<string, string>;
  /** Lower-cased node name -> fingerprint of its node-level checks (serfHealth, maintenance). */
  readonly nodes: ReadonlyMap<string, string>;
  /** Lower-cased node name -> the services with a check on it (a node check touches them all). */
  readonly servicesOn: ReadonlyMap<string, ReadonlySet<string>>;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Parses the health/state body; throws when it is not a list of checks. */
export function feedView(body: unknown): FeedView {
  if (!Array.isArray(body)) throw new TypeError('expected a JSON array of checks');
  const services = new Map<string, string[]>();
  const nodes = new Map<string, string[]>();
  const servicesOn = new Map<string, Set<string>>();
  for (const c of body) {
    if (!isObject(c) || typeof c['Node'] !== 'string' || typeof c['CheckID'] !== 'string') throw new TypeError('expected {Node, CheckID, ...} checks');
    const tags = Array.isArray(c['ServiceTags']) ? c['ServiceTags'].filter((t) => typeof t === 'string').join(',') : '';
    const line = `${c['Node']}|${c['CheckID']}|${str(c['ServiceID'])}|${str(c['Status'])}|${tags}|${String(c['ModifyIndex'] ?? '')}`;
    const service = str(c['ServiceName']).toLowerCase();
    if (service !== '') {
      const node = c['Node'].toLowerCase();
      let set = servicesOn.get(node);
      if (set === undefined) servicesOn.set(node, set = new Set());
      set.add(service);
    }
    const into = service === '' ? nodes : services;
    const key = service === '' ? c['Node'].toLowerCase() : service;
    let lines = into.get(key);
    if (lines === undefined) into.set(key, lines = []);
    lines.push(line);
  }
  const seal = (m: Map<string, string[]>): Map<string, string> => new Map([...m].map(([k, l]) => [k, l.sort().join('\n')]));
  const s = seal(services);
  const n = seal(nodes);
  const fingerprint = [...s, ...n].map(([k, v]) => `${k}=${v}`).sort().join('\n');
  return { services: s, nodes: n, servicesOn, fingerprint };
}

/** The services and nodes whose fingerprint differs between two feed views (appeared, changed or gone). */
export function feedChanges(before: FeedView, after: FeedView): { services: Set<string>; nodes: Set<string> } {
  const diff = (a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): Set<string> => {
    const out = new Set<string>();
    for (const [k, v] of a) if (b.get(k) !== v) out.add(k);
    for (const k of b.keys()) if (!a.has(k)) out.add(k);
    return out;
  };
  const services = diff(before.services, after.services);
  const nodes = diff(before.nodes, after.nodes);
  // A node check (serfHealth, node maintenance) decides the health of every instance on the node.
  for (const node of nodes) {
    for (const v of [before, after]) for (const svc of v.servicesOn.get(node) ?? []) services.add(svc);
  }
  return { services, nodes };
}

/**
 * The catalog feed's view: the body of `GET /v1/catalog/services` (service name -> every tag of
 * its instances), one entry per lower-cased name. It names the services whose tags changed, or
 * that appeared or went; other changes only move its index.
 */
export interface ServicesView extends Fingerprinted {
  readonly services: ReadonlyMap<string, string>;
}

/** Parses the catalog/services body; throws when it is not an object of tag lists. */
export function servicesView(body: unknown): ServicesView {
  if (!isObject(body)) throw new TypeError('expected a JSON object of service name -> tags');
  const services = new Map<string, string>();
  for (const [name, tags] of Object.entries(body)) {
    if (tags !== null && !Array.isArray(tags)) throw new TypeError('expected a list of tags per service');
    const list = (tags ?? []).filter((t): t is string => typeof t === 'string').map((t) => t.toLowerCase()).sort();
    const key = name.toLowerCase();
    services.set(key, [services.get(key) ?? '', ...list].filter((t) => t !== '').join(','));
  }
  const fingerprint = [...services].map(([k, v]) => `${k}=${v}`).sort().join('\n');
  return { services, fingerprint };
}

/** The names whose tags differ between two catalog views (appeared, changed or gone). */
export function servicesChanges(before: ServicesView, after: ServicesView): Set<string> {
  const out = new Set<string>();
  for (const [k, v] of before.services) if (after.services.get(k) !== v) out.add(k);
  for (const k of after.services.keys()) if (!before.services.has(k)) out.add(k);
  return out;
}
