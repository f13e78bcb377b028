import { createRequire } from 'node:module';
import { bindPlugin, tcpPlugin, tlsPlugin, CORE_VERSION, PluginRegistry, type PluginDefinition } from '@dnsmesh/core';
import acl from '@dnsmesh/acl';
import any from '@dnsmesh/any';
import cache from '@dnsmesh/cache';
import forward from '@dnsmesh/forward';
import tcpRetry from '@dnsmesh/truncation-tcp-retry';
import { definitions as metrics } from '@dnsmesh/metrics';
import norec from '@dnsmesh/norec';
import prefetch from '@dnsmesh/prefetch';
import ratelimit from '@dnsmesh/ratelimit';
import serveStale from '@dnsmesh/serve-stale';
import consul from '@dnsmesh/consul-upstream';
import loadbalance from '@dnsmesh/loadbalance';
import loop from '@dnsmesh/loop';
import minimal from '@dnsmesh/minimal';
import whoami from '@dnsmesh/whoami';
import chaos from '@dnsmesh/chaos';
import hosts from '@dnsmesh/hosts';
import rewrite from '@dnsmesh/rewrite';
import template from '@dnsmesh/template';
import { ORDER } from './order.js';
import { pluginDirective } from './plugin-loader.js';
import reload from './reload/setup.js';
import { VERSION } from './version.js';

/** Every built-in plugin and the package it comes from. */
const BUILTINS: readonly (readonly [PluginDefinition<any>, string])[] = [
  [bindPlugin, '@dnsmesh/core'], [tcpPlugin, '@dnsmesh/core'], [tlsPlugin, '@dnsmesh/core'], [pluginDirective, '@dnsmesh/server'], [reload, '@dnsmesh/server'],
  [cache, '@dnsmesh/cache'], [forward, '@dnsmesh/forward'], [tcpRetry, '@dnsmesh/truncation-tcp-retry'],
  [prefetch, '@dnsmesh/prefetch'], [serveStale, '@dnsmesh/serve-stale'], [consul, '@dnsmesh/consul-upstream'],
  [ratelimit, '@dnsmesh/ratelimit'], [acl, '@dnsmesh/acl'], [norec, '@dnsmesh/norec'], [any, '@dnsmesh/any'],
  [loadbalance, '@dnsmesh/loadbalance'], [loop, '@dnsmesh/loop'], [minimal, '@dnsmesh/minimal'], [whoami, '@dnsmesh/whoami'],
  [chaos, '@dnsmesh/chaos'], [hosts, '@dnsmesh/hosts'], [rewrite, '@dnsmesh/rewrite'],
  [template, '@dnsmesh/template'],
  ...metrics.map((def) => [def, '@dnsmesh/metrics'] as const),
];

/** The registry of every built-in plugin, in the server's order. */
export function builtinRegistry(): PluginRegistry {
  const registry = new PluginRegistry(ORDER);
  for (const [def] of BUILTINS) registry.register(def, 'built-in');
  return registry;
}

/** Directive -> `package@version` of each built-in, for `dnsmesh -plugins`. */
export function builtinPackages(): Map<string, string> {
  const require = createRequire(import.meta.url);
  const version = (pkg: string): string => {
    if (pkg === '@dnsmesh/server') return VERSION;
    if (pkg === '@dnsmesh/core') return CORE_VERSION;
    try {
      return (require(`${pkg}/package.json`) as { version: string }).version;
    } catch {
      return '?';
    }
  };
  return new Map(BUILTINS.map(([def, pkg]) => [def.name, `${pkg}@${version(pkg)}`]));
}
