/**
 * The chain order (CoreDNS's plugin.cfg): a query meets these first to last, whatever the order
 * of lines in the Corefile. Directives that configure the server (plugin, bind, health, ready,
 * admin, reload) take no place in the chain; they are listed so the registry knows them.
 * Plugins from packages are placed by their `before`/`after`.
 */
export const ORDER: readonly string[] = [
  'plugin', 'bind', 'health', 'ready', 'admin', 'reload',
  'prometheus', 'log', 'errors', 'ratelimit', 'acl', 'norec', 'any', 'serve_stale', 'prefetch', 'cache', 'tcp_retry', 'consul', 'forward',
];
