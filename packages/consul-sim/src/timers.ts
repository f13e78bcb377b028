// Every timer the simulator starts goes through here, so close() can clear them all.

export class Timers {
  readonly #live = new Set<NodeJS.Timeout>();

  after(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => { this.#live.delete(t); fn(); }, Math.max(0, ms));
    this.#live.add(t);
    return t;
  }
  every(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setInterval(fn, Math.max(1, ms));
    this.#live.add(t);
    return t;
  }
  /** Resolves after ms (at once for 0), unless the timers are cleared first. */
  sleep(ms: number): Promise<void> {
    return ms <= 0 ? Promise.resolve() : new Promise((resolve) => { this.after(ms, resolve); });
  }
  clear(t: NodeJS.Timeout): void { clearTimeout(t); this.#live.delete(t); }
  clearAll(): void {
    for (const t of this.#live) clearTimeout(t); // clearTimeout clears intervals too
    this.#live.clear();
  }
}
