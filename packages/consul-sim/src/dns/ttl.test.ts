import { expect, it } from 'vitest';
import { resolveOptions } from '../options.js';
import { serviceTtl } from './ttl.js';

it('takes an exact name, then the longest prefix, then *, else 0 (v1) or node_ttl (v2)', () => {
  const service_ttl = { web: '30s', 'we*': 20, 'w*': '10s', '*': '5s' };
  const cfg = resolveOptions({ dns_config: { node_ttl: '7s', service_ttl } });
  expect(serviceTtl('web', cfg)).toBe(30);
  expect(serviceTtl('Western', cfg)).toBe(20);
  expect(serviceTtl('wall', cfg)).toBe(10);
  expect(serviceTtl('db', cfg)).toBe(5);
  const bare = { dns_config: { node_ttl: '7s', service_ttl: { web: 1 } } };
  expect(serviceTtl('db', resolveOptions(bare))).toBe(7);
  expect(serviceTtl('db', resolveOptions({ ...bare, dns_variant: 'v1' }))).toBe(0);
  expect(serviceTtl('db', resolveOptions())).toBe(0);
});
