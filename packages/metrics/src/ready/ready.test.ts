import { createServer, manualClock, type DnsServer, type Plugin } from '@dnsmesh/core';
import { afterEach, describe, expect, it } from 'vitest';
import { answer } from '../../test/helpers.js';
import { httpUrl } from '../http/listener.js';
import { readyPlugin } from './index.js';

let server: DnsServer | undefined;
afterEach(async () => { await server?.stop(0); server = undefined; });

/** A plugin that passes queries on and says it is ready only once told. */
function gate(name: string): Plugin & { open: boolean } {
  return { name, open: false, handle: (ctx, next) => next(ctx), ready() { return this.open; } };
}

describe('ready', () => {
  it('answers 503 naming the plugins not ready, then 200 OK once they are', async () => {
    const watch = gate('consul');
    server = await createServer({ clock: manualClock(), plugins: [readyPlugin({ address: '127.0.0.1:0' }), watch, answer()] }).start();
    const url = httpUrl(server.blocks[0]!, 'ready')!;
    let res = await fetch(`${url}/ready`);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('consul');
    watch.open = true;
    res = await fetch(`${url}/ready`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('OK');
  });

  it('looks at every block that names its address, each plugin once, sorted', async () => {
    const a = gate('zeta');
    const b = gate('alpha');
    const b2 = gate('zeta');
    server = await createServer({
      clock: manualClock(),
      blocks: [
        { zones: ['a.test'], plugins: [readyPlugin({ address: '127.0.0.1:0' }), a, answer()] },
        { zones: ['b.test'], plugins: [readyPlugin({ address: '127.0.0.1:0' }), b, b2, answer()] },
      ],
    }).start();
    const url = httpUrl(server.blocks[0]!, 'ready')!;
    expect(httpUrl(server.blocks[1]!, 'ready')).toBe(url);
    expect(await (await fetch(`${url}/ready`)).text()).toBe('alpha,zeta');
    a.open = true;
    b.open = true;
    expect(await (await fetch(`${url}/ready`)).text()).toBe('zeta');
    b2.open = true;
    expect((await fetch(`${url}/ready`)).status).toBe(200);
  });

  it('is ready at once when no plugin can say', async () => {
    server = await createServer({ clock: manualClock(), plugins: [readyPlugin({ address: '127.0.0.1:0' }), answer()] }).start();
    expect((await fetch(`${httpUrl(server.blocks[0]!, 'ready')}/ready`)).status).toBe(200);
  });
});
