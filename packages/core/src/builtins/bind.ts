import { isIP } from 'node:net';
import { definePlugin } from '../plugin.js';

/**
 * `bind ADDRESS...`: the addresses a server block listens on (CoreDNS's bind). Interface names
 * are not supported; give addresses. Takes no place in the chain.
 */
export default definePlugin<string[]>({
  name: 'bind',
  repeatable: true,
  core: '^0.1.0',
  parse(d) {
    return d.expectArgs(1).map((t) => {
      const text = t.text.replace(/^\[|\]$/g, '');
      if (isIP(text) === 0) throw t.fail(`expected an IP address, got '${t.text}'`);
      return text;
    });
  },
  create(addresses, block) {
    block.bind.push(...addresses.filter((a) => !block.bind.includes(a)));
    return undefined;
  },
});
