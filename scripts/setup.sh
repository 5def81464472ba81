#!/usr/bin/env bash
# Installs everything mar needs to build and test, idempotently. Fast (< 1 s) when all is present.
#   apt packages (pinned to Debian bookworm's versions by the distribution itself),
#   V8 from Debian's libnode108/libnode-dev extracted into .deps/libnode (never apt-installed:
#   that would replace the machine's Node 20, see docs/architecture.md), and the npm packages
#   in js/package-lock.json (pinned by integrity hash); for GPU compute, the Dawn build in npm
#   bun-webgpu-linux-x64 (pinned by integrity hash) in .deps/webgpu and Mesa's lavapipe Vulkan
#   driver from bookworm-backports (pinned version, verified by apt) in .deps/lavapipe.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

log() { printf '[setup] %s\n' "$*" >&2; }
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_packages=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev
  libssl-dev libgtest-dev libgmock-dev libcurl4-openssl-dev
  libbrotli1 libc-ares2 libicu72 libnghttp2-14 libssl3 libuv1 zlib1g
  curl wrk python3 nodejs npm openssl
  clang lld wasi-libc libclang-rt-14-dev-wasm32 wabt
  libvulkan1 patchelf libllvm15 libelf1 libexpat1 libwayland-client0 libx11-xcb1 libxcb-dri3-0
  libxcb-present0 libxcb-randr0 libxcb-shm0 libxcb-sync1 libxcb-xfixes0 libxshmfence1 libzstd1
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

# npm packages (web-streams-polyfill for the Streams API, esbuild to bundle it), pinned by
# js/package-lock.json.
if [ ! -f "$root/js/node_modules/.package-lock.json" ] || [ "$root/js/package-lock.json" -nt "$root/js/node_modules/.package-lock.json" ]; then
  log "installing npm packages from js/package-lock.json"
  (cd "$root/js" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

# WebGPU provider: Dawn + Tint as one library (libwebgpu_wrapper.so) from npm, checked against the
# integrity hash below before it is unpacked. No install scripts run; nothing else is taken from it.
webgpu_pkg="bun-webgpu-linux-x64@0.1.7"
webgpu_integrity="sha512-UEP7UZdEhx9otvkZczjsszL8ZVlrODANQvgl+C88/bNVmxDoFi7w1fWzGi1sZyakiETjmtFDq2/xCLhbSZxjqw=="
webgpu_dir="$root/.deps/webgpu"
if [ "$(cat "$webgpu_dir/.complete" 2>/dev/null)" != "$webgpu_integrity" ]; then
  log "fetching the WebGPU library ($webgpu_pkg) into .deps/webgpu"
  rm -rf "$webgpu_dir" && mkdir -p "$webgpu_dir/pack"
  tgz=$(cd "$webgpu_dir/pack" && npm pack "$webgpu_pkg" --silent 2>/dev/null | tail -1)
  got="sha512-$(openssl dgst -sha512 -binary "$webgpu_dir/pack/$tgz" | base64 -w0)"
  if [ "$got" != "$webgpu_integrity" ]; then
    log "integrity mismatch for $webgpu_pkg: expected $webgpu_integrity, got $got"
    exit 1
  fi
  tar -xzf "$webgpu_dir/pack/$tgz" -C "$webgpu_dir/pack"
  install -m 0755 "$webgpu_dir/pack/package/libwebgpu_wrapper.so" "$webgpu_dir/"
  install -m 0644 "$webgpu_dir/pack/package/LICENSE" "$webgpu_dir/LICENSE"
  rm -rf "$webgpu_dir/pack"
  printf '%s' "$webgpu_integrity" >"$webgpu_dir/.complete"
fi

# Mesa lavapipe (a Vulkan driver on the CPU) for machines without a GPU. Bookworm's own 22.3.6 is
# refused by Dawn, so the backports build is downloaded (apt verifies it against Debian's signed
# Release file) into a private apt state and extracted; never installed system-wide. Its newer
# libdrm sits beside it and the driver's RUNPATH is $ORIGIN, so it needs no LD_LIBRARY_PATH.
mesa_version="25.0.7-2~bpo12+1"
libdrm_version="2.4.123-1~bpo12+1"
lvp_dir="$root/.deps/lavapipe"
if [ "$(cat "$lvp_dir/.complete" 2>/dev/null)" != "$mesa_version $libdrm_version" ]; then
  log "fetching Mesa lavapipe $mesa_version (bookworm-backports) into .deps/lavapipe"
  rm -rf "$lvp_dir" && mkdir -p "$lvp_dir"/apt/{lists/partial,cache/archives/partial} "$lvp_dir/debs"
  echo "deb http://deb.debian.org/debian bookworm-backports main" >"$lvp_dir/apt/sources.list"
  aptopt=(-o "Dir::Etc::SourceList=$lvp_dir/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
          -o "Dir::State::Lists=$lvp_dir/apt/lists" -o "Dir::Cache=$lvp_dir/apt/cache"
          -o APT::Sandbox::User=root)
  apt-get "${aptopt[@]}" update -qq >/dev/null
  (cd "$lvp_dir/debs" && apt-get "${aptopt[@]}" download -qq \
      "mesa-vulkan-drivers=$mesa_version" "libdrm2=$libdrm_version" >/dev/null)
  for d in "$lvp_dir"/debs/*.deb; do dpkg-deb -x "$d" "$lvp_dir/x"; done
  libdir="$lvp_dir/x/usr/lib/x86_64-linux-gnu"
  install -m 0755 "$libdir/libvulkan_lvp.so" "$lvp_dir/"
  cp -P "$libdir"/libdrm.so.2* "$lvp_dir/"
  patchelf --set-rpath '$ORIGIN' "$lvp_dir/libvulkan_lvp.so"
  cat >"$lvp_dir/lvp_icd.json" <<JSON
{
    "file_format_version": "1.0.0",
    "ICD": { "library_path": "./libvulkan_lvp.so", "api_version": "1.4.305" }
}
JSON
  rm -rf "$lvp_dir/apt" "$lvp_dir/debs" "$lvp_dir/x"
  printf '%s' "$mesa_version $libdrm_version" >"$lvp_dir/.complete"
fi
