import { describe, expect, it } from 'vitest';
import { encodeName, inZone, namesEqual, readName, skipName } from './name.js';
import { WireError } from './wire-error.js';

describe('names', () => {
  it('skips and reads compressed names', () => {
    const buf = Buffer.concat([Buffer.alloc(12), encodeName('www.example.com'), Buffer.from([3, 0x66, 0x6f, 0x6f, 0xc0, 16])]);
    const second = 12 + 17;
    expect(skipName(buf, 12)).toBe(second);
    expect(skipName(buf, second)).toBe(second + 6);
    expect(readName(buf, second)).toBe('foo.example.com');
    expect(namesEqual(buf, second, Buffer.concat([encodeName('FOO.Example.com')]), 0)).toBe(true);
  });

  it('rejects a pointer loop, a forward pointer, a long label and a truncated name', () => {
    expect(() => skipName(Buffer.from([0xc0, 0]), 0)).toThrow(WireError);
    expect(() => skipName(Buffer.from([0xc0, 2, 0]), 0)).toThrow(WireError);
    expect(() => skipName(Buffer.from([64, ...Buffer.alloc(64, 0x61), 0]), 0)).toThrow(WireError);
    expect(() => skipName(Buffer.from([3, 0x61]), 0)).toThrow(WireError);
  });

  it('tells zone membership on label boundaries', () => {
    expect(inZone('a.consul.', 'consul.')).toBe(true);
    expect(inZone('aconsul.', 'consul.')).toBe(false);
    expect(inZone('consul.', 'consul.')).toBe(true);
    expect(inZone('x.', '.')).toBe(true);
  });
});
