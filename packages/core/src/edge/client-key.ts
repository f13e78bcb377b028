import { isIPv6 } from 'node:net';

/**
 * The key a per-client limit counts under: an IPv4 address as it is (also when it arrives
 * IPv4-mapped on a dual-stack socket), an IPv6 address by its /64 (one host usually holds a whole
 * /64, so counting single addresses would limit nothing).
 */
export function clientKey(address: string): string {
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice(7);
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = address.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = address.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => (g.replace(/^0+/, '') || '0').toLowerCase()).join(':')}::/64`;
}
