import type { Token } from '@dnsmesh/core';
import type { EdnsAction, EdnsData, EdnsRule, EdnsVariable, Mode } from './rules.js';

const ACTIONS: readonly string[] = ['set', 'append', 'replace', 'unset'];
const VARIABLES: readonly string[] = ['{qname}', '{qtype}', '{client_ip}', '{client_port}', '{protocol}', '{server_ip}', '{server_port}'];

/** EDNS option codes (RFC 6891 registry) of the options with their own keyword. */
export const NSID = 3;
export const SUBNET = 8;

/**
 * The words after `edns0` (CoreDNS's syntax):
 *
 *     edns0 local set|append|replace CODE DATA [revert]     DATA: text, 0xHEX or a {variable}
 *     edns0 local unset CODE
 *     edns0 nsid set|append|replace [revert]
 *     edns0 nsid unset
 *     edns0 subnet set|append|replace V4BITS V6BITS [revert]
 *     edns0 subnet unset
 */
export function ednsRule(field: Token, mode: Mode, args: Token[]): EdnsRule {
  const [kind, actionWord] = [args.shift(), args.shift()];
  if (kind === undefined || actionWord === undefined) throw field.fail('edns0 takes local, nsid or subnet, then set, append, replace or unset');
  const action = actionWord.text.toLowerCase();
  if (!ACTIONS.includes(action)) throw actionWord.fail(`unknown edns0 action '${actionWord.text}' (set, append, replace or unset)`);
  let revert = false;
  if (action !== 'unset' && args.at(-1)?.text === 'revert') { args.pop(); revert = true; }
  const rule = (option: EdnsRule['option'], code: number, data: EdnsData | undefined): EdnsRule =>
    ({ field: 'edns0', mode, option, action: action as EdnsAction, code, data, revert });
  switch (kind.text.toLowerCase()) {
    case 'local': {
      const want = action === 'unset' ? 1 : 2;
      if (args.length !== want) throw kind.fail(`edns0 local ${action} takes ${action === 'unset' ? 'CODE' : 'CODE and DATA [revert]'}, got ${args.length} arguments`);
      const code = optionCode(args[0]!);
      return rule('local', code, action === 'unset' ? undefined : localData(args[1]!));
    }
    case 'nsid':
      if (args.length !== 0) throw args[0]!.fail(`edns0 nsid ${action} takes no arguments${action === 'unset' ? '' : ' but revert'}, got '${args[0]!.text}'`);
      return rule('nsid', NSID, action === 'unset' ? undefined : { kind: 'bytes', bytes: Buffer.alloc(0) });
    case 'subnet': {
      if (action === 'unset') {
        if (args.length !== 0) throw args[0]!.fail(`edns0 subnet unset takes no arguments, got '${args[0]!.text}'`);
        return rule('subnet', SUBNET, undefined);
      }
      if (args.length !== 2) throw kind.fail(`edns0 subnet ${action} takes V4BITS and V6BITS [revert], got ${args.length} arguments`);
      return rule('subnet', SUBNET, { kind: 'subnet', v4: bits(args[0]!, 32), v6: bits(args[1]!, 128) });
    }
    default:
      throw kind.fail(`unknown edns0 option '${kind.text}' (local, nsid or subnet)`);
  }
}

/** `0xffee` or `65518` (CoreDNS reads the code with Go's base prefixes). */
function optionCode(t: Token): number {
  const text = t.text.toLowerCase();
  const v = /^0x[0-9a-f]{1,4}$/.test(text) ? parseInt(text.slice(2), 16) : /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(v >= 0 && v <= 65535)) throw t.fail(`bad EDNS option code '${t.text}' (0 to 65535, or 0x0000 to 0xffff)`);
  return v;
}

/** `0x6162` (hex), `{client_ip}` (a variable), or text (its bytes). */
function localData(t: Token): EdnsData {
  const text = t.text;
  if (text.startsWith('{') && text.endsWith('}')) {
    if (!VARIABLES.includes(text)) throw t.fail(`unknown variable '${text}' (${VARIABLES.join(', ')})`);
    return { kind: 'variable', variable: text as EdnsVariable };
  }
  if (text.startsWith('0x')) {
    const hex = text.slice(2);
    if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw t.fail(`bad hex data '${text}'`);
    return { kind: 'bytes', bytes: Buffer.from(hex, 'hex') };
  }
  return { kind: 'bytes', bytes: Buffer.from(text, 'utf8') };
}

function bits(t: Token, max: number): number {
  if (!/^\d{1,3}$/.test(t.text) || Number(t.text) > max) throw t.fail(`bad ${max === 32 ? 'IPv4' : 'IPv6'} prefix length '${t.text}' (0 to ${max})`);
  return Number(t.text);
}
