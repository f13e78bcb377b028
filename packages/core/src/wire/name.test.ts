import { describe, expect, it } from 'vitest';
import { encodeName, inZone, keyAtOrBelow, nameKey, namesEqual, parentKey, presentationKey, readName, skipName } from './name.js';
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

  it('keys names by their octets, folding A-Z only: a dot inside a label and 0xff stay what they are', () => {
    const wire = Buffer.from([7, ...Buffer.from('Esc.Dot'), 2, 0xff, 0xc9, 7, ...Buffer.from('EXAMPLE'), 0]);
    const key = nameKey(wire, 0);
    expect(key).toBe('\x07esc.dot\x02\xff\xc9\x07example\x00');
    expect(presentationKey('ESC\\.dot.\\255\\201.example.')).toBe(key);
    // esc.dot.example (three labels) is another name.
    expect(presentationKey('esc.dot.\\255\\201.example')).not.toBe(key);
    expect(presentationKey('.')).toBe('\x00');
    expect(() => presentationKey('a..b')).toThrow(WireError);
    expect(() => presentationKey('caf\u00e9\u20ac.example')).toThrow(WireError);
  });

  it('tells zone membership of keys on label boundaries', () => {
    const k = (n: string) => presentationKey(n);
    expect(keyAtOrBelow(k('a.example'), k('example'))).toBe(true);
    expect(keyAtOrBelow(k('example'), k('example'))).toBe(true);
    expect(keyAtOrBelow(k('aexample'), k('example'))).toBe(false);
    expect(keyAtOrBelow(k('x\\.example'), k('example'))).toBe(false); // one label "x.example"
    expect(keyAtOrBelow(k('a.example'), k('.'))).toBe(true);
    expect(keyAtOrBelow(k('example'), k('a.example'))).toBe(false);
    expect(parentKey(k('a.example'))).toBe(k('example'));
  });
});

describe('names that run past their buffer (unchecked bytes)', () => {
  it('throw WireError or compare unequal, never spin', () => {
    const cut = Buffer.from([5, 97]);                       // a 5-byte label with one byte present
    const ptrOut = Buffer.from([0xc0]);                      // a pointer missing its second byte
    expect(() => readName(cut, 0)).toThrow(WireError);
    expect(() => readName(ptrOut, 0)).toThrow(WireError);
    expect(() => readName(Buffer.from([]), 0)).toThrow(WireError);
    expect(() => nameKey(cut, 0)).toThrow(WireError);
    expect(namesEqual(cut, 0, cut, 0)).toBe(false);
    expect(namesEqual(ptrOut, 0, Buffer.from([0]), 0)).toBe(false);
    expect(readName(Buffer.from([1, 97, 0]), 0)).toBe('a');  // a whole name still reads
    expect(namesEqual(Buffer.from([1, 65, 0]), 0, Buffer.from([1, 97, 0]), 0)).toBe(true);
  });
});
