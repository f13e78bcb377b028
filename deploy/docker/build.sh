#!/bin/sh
# The image's build, run by the Dockerfile's build stage in a copy of the repo (and, this same file,
# by deploy/test/docker.test.ts): install, build, pack the packages the server needs, and install
# those tarballs into PREFIX as `npm install -g` would, so that PREFIX/bin/dnsmesh is the command.
#
#   deploy/docker/build.sh PREFIX
#
# npm settings come from the environment as usual (the test sets npm_config_prefer_offline=true).
set -eu
prefix=${1:?usage: deploy/docker/build.sh PREFIX}
tarballs=$(mktemp -d)

npm ci --no-audit --no-fund
npm run build

set --
for dir in $(node deploy/docker/server-workspaces.mjs); do set -- "$@" -w "$dir"; done
npm pack --ignore-scripts --pack-destination "$tarballs" "$@"

# --omit=dev: no test helpers. --allow-scripts: npm 11 runs the install script of the UDP addon
# (its native build) only when asked; without a C toolchain it warns and dnsmesh uses node:dgram.
npm install -g --prefix "$prefix" --omit=dev --no-audit --no-fund --allow-scripts=@dnsmesh/udp-batch "$tarballs"/*.tgz
rm -rf "$tarballs"
"$prefix/bin/dnsmesh" -version
