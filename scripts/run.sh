#!/usr/bin/env bash
# The main job, on a fresh Debian 12 machine: installs what is missing, builds calp
# optimised, and runs the front-desk example on every sample household: what an agent
# may tell each member, action by action, with the French reasons.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # Paths relative to the checkout, so a fresh clone elsewhere reuses the cache.
  export CCACHE_BASEDIR="$PWD"
fi
cmake --preset release "${launcher[@]}" >/dev/null
cmake --build --preset release -j "$(nproc)" --target front_desk calp_cli >&2

for household in examples/data/*.json; do
  echo "=== $household"
  build/release/examples/front_desk --agent A4521 --at "${CALP_DATE:-2026-11-28}" "$household"
  echo
done
