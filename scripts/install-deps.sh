#!/usr/bin/env bash
# Installs the Debian 12 packages calp builds and tests with, and only the missing ones,
# so a second run is quick and a fresh machine needs nothing else.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ccache
  nlohmann-json3-dev libfmt-dev doctest-dev
  libsqlite3-dev sqlite3 libpq-dev postgresql
  libsodium-dev libutf8proc-dev
  pybind11-dev python3-dev python3-pytest python3-setuptools python3-wheel python3-pip
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "calp: installing ${missing[*]}" >&2
  if [[ $(id -u) -ne 0 ]]; then sudo=sudo; else sudo=; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
