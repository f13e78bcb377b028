import { readFileSync, statSync } from 'node:fs';
import { isTokenText } from './options.js';

/**
 * The ACL token sent as X-Consul-Token: fixed (`token`), or read from `token_file` and read again
 * whenever the file changes (size or mtime), so a rotated token is used from the next request
 * without a restart. A file that cannot be read keeps the last token (and says why once).
 */
export class TokenSource {
  #value: string | undefined;
  #stamp = '';
  #error: string | undefined;

  constructor(readonly fixed: string | undefined, readonly file: string | undefined) {
    this.#value = fixed;
    if (file !== undefined) this.#read(true);
  }

  /** The token for the next request. */
  current(): string | undefined {
    if (this.file !== undefined) this.#read(false);
    return this.#value;
  }

  /** The last reason the file could not be used, undefined while it reads fine. */
  get error(): string | undefined {
    return this.#error;
  }

  #read(first: boolean): void {
    const file = this.file!;
    try {
      const st = statSync(file);
      const stamp = `${st.size}|${st.mtimeMs}|${st.ino}`;
      if (stamp === this.#stamp) return;
      const text = readFileSync(file, 'utf8').trim();
      if (!isTokenText(text)) throw new Error(`${file} does not hold a token (printable ASCII without spaces)`);
      this.#value = text === '' ? undefined : text;
      this.#stamp = stamp;
      this.#error = undefined;
    } catch (err) {
      const message = (err as NodeJS.ErrnoException).code !== undefined ? `cannot read ${file}: ${(err as NodeJS.ErrnoException).code}` : (err as Error).message;
      if (first) throw new Error(message);
      this.#error = message;
    }
  }
}
