import { readFile, stat } from 'node:fs/promises';
import { parseWeights, type WeightTable } from './weights.js';

/**
 * Checks the weight file every `interval` ms and hands a new table over when its modification
 * time or size changed; a file with a bad line is reported and the old weights stay. Returns what
 * stops the checks.
 */
export async function watchWeights(file: string, interval: number, use: (table: WeightTable) => void, warn: (message: string) => void): Promise<() => void> {
  const stamp = async (): Promise<string> => {
    try {
      const s = await stat(file);
      return `${s.mtimeMs}:${s.size}`;
    } catch {
      return 'missing';
    }
  };
  let seen = await stamp();
  const timer = setInterval(() => {
    void (async () => {
      const now = await stamp();
      if (now === seen || now === 'missing') return;
      seen = now;
      try {
        use(parseWeights(await readFile(file, 'utf8'), (line, message) => new Error(`${file}:${line}: ${message}`)));
      } catch (err) {
        warn((err as Error).message);
      }
    })();
  }, interval);
  timer.unref();
  return () => clearInterval(timer);
}
