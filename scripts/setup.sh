#!/usr/bin/env bash
# Installs everything mar needs to build and test, idempotently. Fast (< 1 s) when all is present.
#   apt packages (pinned to Debian bookworm's versions by the distribution itself),
#   V8 from Debian's libnode108/libnode-dev extracted into .deps/libnode (never apt-installed:
#   that would replace the machine's Node 20, see docs/architecture.md), and the npm packages
#   in js/package-lock.json (pinned by integrity hash).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

log() { printf '[setup] %s\n' "$*" >&2; }
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_packages=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev
  libssl-dev libicu-dev libgtest-dev libgmock-dev libcurl4-openssl-dev
  libbrotli1 libc-ares2 libicu72 libnghttp2-14 libssl3 libuv1 zlib1g
  curl wrk python3 nodejs npm
  clang lld wasi-libc libclang-rt-14-dev-wasm32 wabt
)

missing=()
for p in "${apt_packages[@]}"; do
  # nodejs/npm may come from elsewhere (the machine's Node 20); accept any working binary.
  case "$p" in
    nodejs) command -v node >/dev/null && continue ;;
    npm) command -v npm >/dev/null && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing apt packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  sudo_if_needed apt-get update -qq
  sudo_if_needed apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# V8 10.2 from Debian's Node 18 library, extracted locally.
libnode_dir="$root/.deps/libnode"
if [ ! -f "$libnode_dir/.complete" ]; then
  log "fetching V8 (Debian libnode108 + libnode-dev) into .deps/libnode"
  rm -rf "$libnode_dir" && mkdir -p "$libnode_dir/debs"
  (cd "$libnode_dir/debs" && apt-get download libnode108 libnode-dev >/dev/null 2>&1) || {
    sudo_if_needed apt-get update -qq
    (cd "$libnode_dir/debs" && apt-get download libnode108 libnode-dev >/dev/null)
  }
  for d in "$libnode_dir"/debs/*.deb; do dpkg-deb -x "$d" "$libnode_dir"; done
  test -f "$libnode_dir/usr/include/node/v8.h"
  ls "$libnode_dir"/usr/lib/x86_64-linux-gnu/libnode.so.108 >/dev/null
  ln -sf libnode.so.108 "$libnode_dir/usr/lib/x86_64-linux-gnu/libnode.so"
  touch "$libnode_dir/.complete"
fi

# npm packages (whatwg-url for URL, esbuild to bundle it), pinned by js/package-lock.json.
if [ ! -f "$root/js/node_modules/.package-lock.json" ] || [ "$root/js/package-lock.json" -nt "$root/js/node_modules/.package-lock.json" ]; then
  log "installing npm packages from js/package-lock.json"
  (cd "$root/js" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
