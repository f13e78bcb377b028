import { DnsMessage, Rcode, type Plugin } from '@dnsmesh/core';

/**
 * A plugin that stands where the rest of the chain would: answers NOERROR with no records and
 * keeps what reached it (`name. TYPE`, in order), so a test sees what a plugin let through.
 */
export function endOfChain(): Plugin & { readonly names: string[] } {
  const names: string[] = [];
  return {
    name: 'end-of-chain', names,
    handle(ctx) {
      names.push(`${ctx.request.question!.lname} ${ctx.request.qtypeName}`);
      return DnsMessage.reply(ctx.request, Rcode.NOERROR);
    },
  };
}
