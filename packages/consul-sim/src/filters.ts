// Which instances an answer includes: the DNS health rule, the HTTP ?passing rule and tag matching.
import type { Instance } from './state.js';

/** DNS drops instances with any critical check; only_passing also drops warning (notes §2). */
export function dnsHealthy(i: Instance, onlyPassing: boolean): boolean {
  return onlyPassing ? i.status === 'passing' : i.status !== 'critical';
}

/** HTTP ?passing keeps instances whose node and service checks all pass. */
export function allPassing(i: Instance): boolean { return i.status === 'passing'; }

/** Every tag must be present; Consul compares tags case-insensitively. */
export function hasTags(i: Instance, tags: readonly string[]): boolean {
  const own = i.service.tags.map((t) => t.toLowerCase());
  return tags.every((t) => own.includes(t.toLowerCase()));
}

/** Prepared-query tags: `!tag` excludes, the others are required. */
export function matchesQueryTags(i: Instance, tags: readonly string[]): boolean {
  const own = i.service.tags.map((t) => t.toLowerCase());
  return tags.every((t) => (t.startsWith('!') ? !own.includes(t.slice(1).toLowerCase()) : own.includes(t.toLowerCase())));
}
