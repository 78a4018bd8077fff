#!/usr/bin/env bash
# Every test, on a fresh Debian 12 machine: installs what is missing, starts a throwaway
# PostgreSQL server on loopback (the PostgreSQL storage's tests need a real one), then
# builds and runs the whole suite twice, once plain and once under AddressSanitizer and
# UndefinedBehaviorSanitizer, with warnings as errors. The CI presets make the
# PostgreSQL tests fail, never skip, when no server is there.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${CALP_TEST_POSTGRES_URI:-}" ]]; then
  scripts/install-deps.sh
  # Runs this script again with CALP_TEST_POSTGRES_URI set, and stops the server after.
  exec scripts/with-postgres.sh "$0" "$@"
fi

jobs=$(nproc)
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # Paths relative to the checkout, so a fresh clone elsewhere reuses the cache; the
  # build folder left out of the hash of debug objects, so the pip install test (a build
  # folder of its own) reuses the objects of the ci-dev build.
  export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
fi

for preset in ci-dev ci-asan; do
  echo "== calp: $preset ==" >&2
  cmake --preset "$preset" "${launcher[@]}" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  ctest --preset "$preset" -j "$jobs"
done
