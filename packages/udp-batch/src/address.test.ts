import { describe, expect, it } from 'vitest';
import { ADDR_SLOT, decodeAddress, encodeAddress } from './index.js';

// Through the addon (inet_pton and if_nametoindex, as open() reads its host): without it these fail, as every test here does.
describe('encodeAddress', () => {
  it('is the inverse of decodeAddress, for IPv4 and IPv6 (compressed, embedded IPv4, numeric zone)', () => {
    for (const [address, port, family, text] of [
      ['127.0.0.1', 53, 4, '127.0.0.1'],
      ['10.200.3.255', 65535, 4, '10.200.3.255'],
      ['::1', 8600, 6, '::1'],
      ['2001:db8::a:0:1', 5353, 6, '2001:db8::a:0:1'],
      ['2001:DB8:0:0:1:0:0:1', 1, 6, '2001:db8::1:0:0:1'],
      ['::ffff:192.0.2.7', 53, 6, '::ffff:192.0.2.7'],
      ['fe80::1%2', 53, 6, 'fe80::1%2'],
      ['::', 0, 6, '::'],
    ] as const) {
      const slot = encodeAddress(address, port);
      expect(slot.length).toBe(ADDR_SLOT);
      expect(decodeAddress(slot)).toEqual({ address: text, port, family });
    }
  });

  it('takes an interface name as a zone: its index, as the kernel numbers it', () => {
    // The loopback interface is on every Linux host (index 1 in any network namespace).
    expect(decodeAddress(encodeAddress('fe80::1%lo', 53))).toEqual({ address: 'fe80::1%1', port: 53, family: 6 });
  });

  it('refuses what is not an IP literal, an interface that does not exist, or a bad port', () => {
    for (const bad of ['localhost', '1.2.3', '1.2.3.256', 'fe80::1%no-such-if0', 'fe80::1%../lo', 'fe80::1%lo/x', '::1%', '', '::g']) {
      expect(() => encodeAddress(bad, 53), bad).toThrow(RangeError);
    }
    for (const port of [-1, 65536, 1.5, Number.NaN]) expect(() => encodeAddress('127.0.0.1', port)).toThrow(RangeError);
  });
});
