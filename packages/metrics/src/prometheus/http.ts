import { metricsText } from '@dnsmesh/core';
import type { Route } from '../http/listener.js';
import { methodNotAllowed } from '../http/listener.js';

/**
 * `GET /metrics`: the Prometheus text of the server's registry. Every block of a server shares one
 * registry; when two servers name one address (a reload starting the new one before the old one
 * stops), the newest block's registry answers.
 */
export const metricsRoute: Route = async (req, res, blocks) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res, 'GET, HEAD');
  const registry = blocks[blocks.length - 1]!.metrics;
  const body = await metricsText(registry);
  res.writeHead(200, { 'content-type': registry.contentType });
  res.end(req.method === 'HEAD' ? undefined : body);
};
