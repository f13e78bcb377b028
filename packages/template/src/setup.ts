import { compile } from '@ctrl/golang-template';
import { Rcode, typeFromName, type Directive, type Property } from '@dnsmesh/core';
import type { Compiled, TemplateOptions } from './options.js';

const CLASSES: Record<string, number> = { IN: 1, CH: 3, ANY: 255 };

/**
 * `template CLASS TYPE [ZONE...] { match REGEX... ; answer RR ; additional RR ; authority RR ;
 * rcode CODE ; ederror CODE [REASON] ; fallthrough [ZONE...] }` -> TemplateOptions. Go's `(?P<name>...)` groups are read
 * as JavaScript's `(?<name>...)`.
 */
export function parse(d: Directive): TemplateOptions {
  const [klass, type, ...zoneArgs] = d.expectArgs(2);
  const qclass = CLASSES[klass!.text.toUpperCase()];
  if (qclass === undefined) throw klass!.fail(`unknown class '${klass!.text}' (IN, CH or ANY)`);
  const qtype = type!.text.toUpperCase() === 'ANY' ? 255 : typeFromName(type!.text);
  if (qtype === undefined) throw type!.fail(`unknown record type '${type!.text}'`);
  const regex: RegExp[] = [];
  const answer: Compiled[] = [];
  const additional: Compiled[] = [];
  const authority: Compiled[] = [];
  let rcode: number = Rcode.NOERROR;
  let ede: TemplateOptions['ede'];
  let fallthrough: string[] = [];
  for (const p of d.block) {
    switch (p.name.text) {
      case 'match':
        for (const a of p.expectArgs(1)) {
          try {
            regex.push(new RegExp(a.text.replace(/\(\?P</g, '(?<')));
          } catch (err) {
            throw a.fail(`bad regular expression '${a.text}': ${(err as Error).message}`);
          }
        }
        break;
      case 'answer': answer.push(...templates(p)); break;
      case 'additional': additional.push(...templates(p)); break;
      case 'authority': authority.push(...templates(p)); break;
      case 'rcode': {
        const t = p.expectArgs(1, 1)[0]!;
        const code = (Rcode as Record<string, number>)[t.text.toUpperCase()];
        if (code === undefined) throw t.fail(`unknown rcode '${t.text}'`);
        rcode = code;
        break;
      }
      case 'ederror': {
        const [code, reason] = p.expectArgs(1, 2);
        if (!/^\d{1,5}$/.test(code!.text) || Number(code!.text) > 65535) throw code!.fail(`bad extended DNS error code '${code!.text}' (0 to 65535, RFC 8914)`);
        ede = { code: Number(code!.text), reason: reason?.text };
        break;
      }
      case 'fallthrough': fallthrough = p.args.length > 0 ? p.args.map((a) => a.zone()) : ['.']; break;
      default: throw p.name.fail(`unknown property '${p.name.text}'`);
    }
  }
  return {
    qclass, qtype, zones: zoneArgs.length > 0 ? zoneArgs.map((z) => z.zone()) : d.serverZones,
    regex: regex.length > 0 ? regex : [/.*/], answer, additional, authority, rcode, ede, fallthrough,
  };
}

function templates(p: Property): Compiled[] {
  return p.expectArgs(1).map((a) => {
    try {
      return compile(a.text);
    } catch (err) {
      throw a.fail(`bad template '${a.text}': ${(err as Error).message}`);
    }
  });
}
