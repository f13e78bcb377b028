#!/usr/bin/env bash
# A clean clone whose native UDP addon cannot build (no compiler) still installs, builds and
# serves, on Node's dgram (the server log, on stdout, names the transport). Run by CI after the test suite.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
dir="$(mktemp -d)"
trap 'if [ -n "${pid:-}" ]; then kill "$pid" 2>/dev/null || true; fi; rm -rf "$dir"' EXIT
git clone -q "$src" "$dir/repo"
cd "$dir/repo"
export CC=/nonexistent CXX=/nonexistent DNSMESH_UDP_BATCH_BUILD=0
npm ci --no-audit --no-fund > "$dir/ci.log" 2>&1 || { cat "$dir/ci.log"; echo "npm ci failed without the addon"; exit 1; }
npx turbo run build --output-logs=errors-only > "$dir/build.log" 2>&1 || { cat "$dir/build.log"; exit 1; }
[ ! -e packages/udp-batch/build/Release/udp_batch.node ] || { echo "the addon was built although it should not have been"; exit 1; }
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
printf '.:%s {\n  bind 127.0.0.1\n}\n' "$port" > "$dir/Corefile"
node apps/server/dist/main.js -conf "$dir/Corefile" > "$dir/out.log" 2> "$dir/err.log" &
pid=$!
for _ in $(seq 1 50); do grep -q 'dnsmesh-' "$dir/out.log" 2>/dev/null && break; sleep 0.1; done
grep -q '"transport":"dgram"' "$dir/out.log" || { cat "$dir/out.log" "$dir/err.log"; echo "expected the dgram transport"; exit 1; }
status=$(dig @127.0.0.1 -p "$port" example.test +tries=1 +time=2 | grep -o 'status: [A-Z]*')
[ "$status" = "status: REFUSED" ] || { echo "no answer on dgram: $status"; exit 1; }
echo "no-addon check: installed, built and answered on dgram"
