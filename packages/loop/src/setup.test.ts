import { parseCorefile } from '@dnsmesh/core';
import { describe, expect, it } from 'vitest';
import { parse } from './setup.js';

const directive = (text: string) => parseCorefile(text, 'Corefile')[0]!.directives[0]!;

describe('loop setup', () => {
  it('takes the first zone of its server block', () => {
    expect(parse(directive('svc.test:53 other.test {\n  loop\n}\n'))).toEqual({ zone: 'svc.test.' });
    expect(parse(directive('.:53 {\n  loop\n}\n'))).toEqual({ zone: '.' });
  });
  it.each([
    ['.:53 {\n  loop x\n}\n', 'Corefile:2 - loop: takes no arguments, got 1'],
    ['.:53 {\n  loop {\n    x\n  }\n}\n', `Corefile:3 - loop: unknown property 'x'`],
  ])('fails on %j with FILE:LINE', (text, message) => {
    expect(() => parse(directive(text))).toThrow(message);
  });
});
