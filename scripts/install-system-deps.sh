#!/usr/bin/env bash
# Installs the Debian packages Darkroom's tests need: git and a C toolchain for the demo, bubblewrap
# for the agent's sandbox, chromium for the dashboard's browser tests, and what the real-kernel
# test adds (scripts/kernel-packages.txt). Installs only what is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
packages=(git make gcc libc6-dev bubblewrap chromium)
while read -r p; do [ -n "$p" ] && [ "${p#\#}" = "$p" ] && packages+=("$p"); done < "$here/kernel-packages.txt"
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "install-system-deps: need root to install: ${missing[*]}" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
