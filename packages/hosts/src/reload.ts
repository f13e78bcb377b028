import { readFile, stat } from 'node:fs/promises';
import type { HostsOptions } from './options.js';
import { HostsTable } from './table.js';

/**
 * Reads the hosts file again when its modification time or size changed (CoreDNS's `reload`):
 * the file's entries, then the inline ones, into a new table. Resolves with the new table, or
 * undefined when nothing changed; rejects when the file has a bad line (the caller keeps the
 * table it has). A file that vanished gives a table of the inline entries only.
 */
export class HostsFileWatch {
  #seen: string | undefined;

  constructor(readonly options: HostsOptions) {}

  /** Remembers the file as it is now (after the load that read it). */
  async init(): Promise<void> {
    this.#seen = await this.#stamp();
  }

  async check(): Promise<HostsTable | undefined> {
    const stamp = await this.#stamp();
    if (stamp === this.#seen) return undefined;
    const file = this.options.file!;
    const text = stamp === 'missing' ? '' : await readFile(file, 'utf8');
    const table = new HostsTable();
    table.addText(text, (line, message) => new Error(`${file}:${line}: ${message}`));
    for (const [address, names] of this.options.inline) table.add(address, names);
    this.#seen = stamp;
    return table;
  }

  async #stamp(): Promise<string> {
    try {
      const s = await stat(this.options.file!);
      return `${s.mtimeMs}:${s.size}`;
    } catch {
      return 'missing';
    }
  }
}
