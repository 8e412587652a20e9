#!/usr/bin/env bash
# Installs what attestflow needs, idempotently: Debian packages for the eBPF build (root only),
# npm packages (when package-lock.json changed), the TypeScript build and the eBPF objects.
# Quick when everything is already in place. Quiet unless it has work to do.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PKGS=(clang-19 llvm-19 bpftool libbpf-dev libelf-dev zlib1g-dev iproute2 tcpdump make gcc)

missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: not root, cannot install Debian packages: ${missing[*]} (eBPF build and kernel tests will be skipped)" >&2
  fi
fi

lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -d node_modules || "$(cat node_modules/.setup-stamp 2>/dev/null)" != "$lock_hash" ]]; then
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.setup-stamp
fi

# TypeScript build (incremental: seconds when nothing changed).
npx --no-install tsc -p tsconfig.build.json --incremental --tsBuildInfoFile dist/.tsbuildinfo

# eBPF objects, when the toolchain is present (make decides what is stale).
if [[ -f bpf/Makefile ]] && command -v clang-19 >/dev/null; then
  make -s -C bpf
fi
