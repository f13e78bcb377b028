import { describe, expect, it } from 'vitest';
import { clientSubnet } from './edns.js';

describe('clientSubnet (the ECS option of RFC 7871 §6)', () => {
  it.each([
    ['10.1.2.3', '00011800' + '0a0102'],                  // /24: three address bytes
    ['10.1.255.3', '00011400' + '0a01f0'],                // a /20 mask takes bits out of the third byte
    ['::ffff:192.0.2.7', '00011800' + 'c00002'],          // an IPv4-mapped client counts as IPv4
    ['2001:db8:aaaa:bbff::1', '00023800' + '20010db8aaaabb'], // /56: seven bytes
    ['2001:db8::1', '00020000'],                          // a /0 sends no address bytes
  ])('%s', (address, hex) => {
    const v4 = address === '10.1.255.3' ? 20 : 24;
    const v6 = address === '2001:db8::1' ? 0 : 56;
    expect(clientSubnet(address, v4, v6)?.toString('hex')).toBe(hex);
  });
  it('gives nothing for a client address it cannot read', () => {
    expect(clientSubnet('not-an-address', 24, 56)).toBeUndefined();
  });
});
