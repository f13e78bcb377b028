import { metricsText, SERVER_CONTROL, type ServerBlock, type ServerControl } from '@dnsmesh/core';
import { json, methodNotAllowed, text, type Route } from '../http/listener.js';

/** The server's control, when the blocks run inside the `dnsmesh` binary (absent in code composition). */
function controlOf(blocks: readonly ServerBlock[]): ServerControl | undefined {
  for (const block of blocks) {
    const control = block.find(SERVER_CONTROL);
    if (control !== undefined) return control;
  }
  return undefined;
}

/** `GET /status`: the process, its configuration and its blocks as JSON (`dnsmesh ctl status`). */
export const statusRoute: Route = (req, res, blocks) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res, 'GET, HEAD');
  const control = controlOf(blocks);
  if (control === undefined) return json(res, 501, { error: 'status needs the dnsmesh server (not available in code composition)' });
  json(res, 200, control.status());
};

/** `POST /reload`: loads the Corefile again; `{"ok":true}`, or 422 with the FILE:LINE error (the old config keeps serving). */
export const reloadRoute: Route = async (req, res, blocks) => {
  if (req.method !== 'POST') return methodNotAllowed(res, 'POST');
  const control = controlOf(blocks);
  if (control === undefined) return json(res, 501, { error: 'reload needs the dnsmesh server (not available in code composition)' });
  const result = await control.reload('admin');
  json(res, result.ok ? 200 : 422, result);
};

/**
 * `GET /stats`: the server's own counters as `name{labels} value` lines (the dnsmesh_ series of
 * its Prometheus registry, without comments), like `unbound-control stats`, whether or not a
 * prometheus address is configured.
 */
export const statsRoute: Route = async (req, res, blocks) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res, 'GET, HEAD');
  const registry = blocks[0]?.metrics;
  if (registry === undefined) return text(res, 200, '');
  const all = await metricsText(registry);
  text(res, 200, `${all.split('\n').filter((l) => l.startsWith('dnsmesh_')).join('\n')}\n`);
};
