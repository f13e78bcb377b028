/**
 * Names between wire form and the text form rules match on (RFC 1035 §5.1 presentation: labels
 * joined by dots, a trailing dot, `\.` and `\\` for those bytes in a label, `\DDD` for bytes
 * outside printable ASCII). Every octet survives the round trip, so a name is never changed by
 * being looked at.
 */

/** The name at `pos` (pointers followed) as text, and where it ends in the stream. */
export function readNameText(buf: Uint8Array, pos: number): { text: string; end: number } {
  let text = '';
  let end = -1;
  for (let hops = 0; ;) {
    if (pos >= buf.length) throw new Error('name runs past the end of the message');
    const len = buf[pos]!;
    if (len === 0) { if (end < 0) end = pos + 1; break; }
    if ((len & 0xc0) === 0xc0) {
      if (++hops > 64) throw new Error('too many compression pointers');
      if (end < 0) end = pos + 2;
      pos = ((len & 0x3f) << 8) | buf[pos + 1]!;
      continue;
    }
    if (len > 63) throw new Error('bad label length');
    for (let i = pos + 1; i <= pos + len; i++) text += escapeByte(buf[i]!);
    text += '.';
    pos += len + 1;
  }
  return { text: text === '' ? '.' : text, end };
}

function escapeByte(c: number): string {
  if (c === 0x2e || c === 0x5c) return `\\${String.fromCharCode(c)}`;
  if (c <= 0x20 || c >= 0x7f || c === 0x22 || c === 0x28 || c === 0x29 || c === 0x3b) return `\\${String(c).padStart(3, '0')}`;
  return String.fromCharCode(c);
}

/** Text (escapes as above; the trailing dot optional) to an uncompressed wire name. Throws on a bad name. */
export function nameTextToWire(text: string): Buffer {
  const out: number[] = [];
  let label: number[] = [];
  const close = (): void => {
    if (label.length === 0) throw new Error(`empty label in '${text}'`);
    if (label.length > 63) throw new Error(`label longer than 63 bytes in '${text}'`);
    out.push(label.length, ...label);
    label = [];
  };
  if (text !== '.' && text !== '') {
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 0x5c) {
        const digits = /^\d{3}/.exec(text.slice(i + 1));
        if (digits !== null) { label.push(Number(digits[0]) & 0xff); i += 3; } else { label.push(text.charCodeAt(i + 1) & 0xff); i++; }
      } else if (ch === 0x2e) {
        close();
      } else {
        label.push(ch & 0xff);
      }
    }
    if (label.length > 0) close();
  }
  out.push(0);
  if (out.length > 255) throw new Error(`name longer than 255 bytes: '${text}'`);
  return Buffer.from(out);
}

/** ASCII-only lower case (RFC 4343): what rules compare. */
export function foldCase(text: string): string {
  return text.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) | 0x20));
}
