/** RFC 7766 framing: each DNS message on a TCP stream is preceded by its length in two bytes. */
export function frame(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(2 + message.length);
  out.writeUInt16BE(message.length, 0);
  message.copy(out, 2);
  return out;
}

/** Collects stream chunks and hands back each complete message, however the stream was split. */
export class FrameReader {
  #pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    let buf = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const messages: Buffer[] = [];
    while (buf.length >= 2) {
      const end = 2 + buf.readUInt16BE(0);
      if (buf.length < end) break;
      messages.push(buf.subarray(2, end));
      buf = buf.subarray(end);
    }
    this.#pending = buf;
    return messages;
  }
}
