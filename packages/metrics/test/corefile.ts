import { manualClock, parseCorefile, ServerBlock, type Directive } from '@dnsmesh/core';
import pino from 'pino';
import { Registry } from 'prom-client';
import { container } from 'tsyringe';

/** The first directive of `body` inside `.:53 { }`; the body starts on line 2 of "Corefile". */
export function directive(body: string): Directive {
  const [block] = parseCorefile(`.:53 {\n${body}\n}\n`, 'Corefile');
  return block!.directives[0]!;
}

export const blockFor = (): ServerBlock => new ServerBlock({
  zones: ['.'], port: 53, container: container.createChildContainer(), clock: manualClock(),
  logger: pino({ level: 'silent' }), metrics: new Registry(),
});
