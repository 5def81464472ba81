#!/usr/bin/env bash
# Installs the peer runtimes the benchmarks run beside mar, pinned, into bench/.peers (ignored by
# git): workerd, Deno and Bun from bench/peers/package-lock.json with `npm ci`, and links their
# binaries as bench/.peers/bin/{workerd,deno,bun}. Node is the machine's own (not pinned here).
# Erlang/OTP and CAF (for bench/actors) are Debian's erlang-base and libcaf-dev at pinned versions,
# installed with apt, and so is hyperfine (bench/startup.py).
# Idempotent: when the installed lock matches the committed one it only checks that each binary
# runs (`--version`), well under a second. Exits non-zero when a pinned peer is not runnable (e.g.
# offline); bench/run.sh goes on without it and the benches skip what is missing.
#
# Why the linux-x64 binary packages and not the `workerd`/`deno`/`bun` wrappers: the wrappers
# need their postinstall scripts (npm 11 blocks dependency install scripts unless approved in
# allowScripts) and list optional packages for every platform, several of which this registry
# does not carry, so the lock npm writes here lacks them and `npm ci` refuses it as out of sync.
# The platform packages hold the same native binaries and need no scripts.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
src="$root/bench/peers"
dir="$root/bench/.peers"

log() { printf '[setup-peers] %s\n' "$*" >&2; }

declare -A paths=(
  [workerd]="node_modules/@cloudflare/workerd-linux-64/bin/workerd"
  [deno]="node_modules/@deno/linux-x64-glibc/deno"
  [bun]="node_modules/@oven/bun-linux-x64/bin/bun"
)
all_present() { for name in workerd deno bun; do [ -x "$dir/${paths[$name]}" ] || return 1; done; }

# npm ci does not fail when an optional package cannot be fetched (offline, other platform): it
# installs nothing for it. So "installed" means the lock matches and every binary is there.
if ! cmp -s "$src/package-lock.json" "$dir/package-lock.json" ||
   ! cmp -s "$src/package.json" "$dir/package.json" || ! all_present; then
  log "installing workerd, deno, bun from bench/peers/package-lock.json into bench/.peers (npm ci)"
  mkdir -p "$dir"
  cp "$src/package.json" "$src/package-lock.json" "$dir/"
  if (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error 2>&1 | grep -v 'Unknown user config' >&2
      exit "${PIPESTATUS[0]}"); then
    log "npm ci done"
  else
    log "npm ci failed (offline?)"
  fi
else
  log "bench/.peers is up to date with bench/peers/package-lock.json"
fi

mkdir -p "$dir/bin"
status=0
for name in workerd deno bun; do
  target="$dir/${paths[$name]}"
  ln -sfn "../${paths[$name]}" "$dir/bin/$name"
  if [ -x "$target" ] && version=$("$dir/bin/$name" --version 2>/dev/null | head -1) && [ -n "$version" ]; then
    log "$name: $version ($dir/bin/$name)"
  else
    log "$name: not runnable ($target missing or fails --version); benches will skip it"
    rm -f "$dir/bin/$name"
    status=1
  fi
done
# Erlang/OTP and the C++ Actor Framework for bench/actors: Debian bookworm's erlang-base and
# libcaf-dev, pinned, from apt (sudo only when not root, and never waiting for a password). A
# failure is logged and the actor bench skips that peer.
erlang_version="1:25.2.3+dfsg-1+deb12u4"
caf_version="0.17.6-2.1+b1"
sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo -n "$@"
  else log "not root and no sudo: cannot run $*"; return 1; fi
}
deb_installed() { dpkg-query -W -f='${Status} ${Version}' "$1" 2>/dev/null; }
apt_install() {
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "$1=$2" >/dev/null
}
# apt_pinned NAME PACKAGE VERSION: installs PACKAGE=VERSION unless it is installed at that version
# (an apt-get update first only when the plain install fails: the lists may be stale or missing).
apt_pinned() {
  local name=$1 package=$2 version=$3
  [ "$(deb_installed "$package")" = "install ok installed $version" ] && return 0
  if ! command -v apt-get >/dev/null; then
    log "$name: not installed, and no apt-get here to install $package=$version; benches will skip it"
    return 1
  fi
  log "installing $package=$version (apt)"
  apt_install "$package" "$version" 2>/dev/null ||
    { sudo_if_needed apt-get update -qq >/dev/null 2>&1 && apt_install "$package" "$version"; } ||
    { log "$name: apt-get install $package=$version failed (offline, no sudo, or the version left the archive)"
      return 1; }
}
apt_pinned erlang erlang-base "$erlang_version"
if erl_release=$(erl -noshell -eval 'io:format("~s", [erlang:system_info(otp_release)]), halt().' 2>/dev/null); then
  installed=$(deb_installed erlang-base)
  log "erlang: OTP $erl_release, erlang-base ${installed##* } ($(command -v erl))"
  [ "${installed##* }" = "$erlang_version" ] || log "erlang: not the pinned $erlang_version; figures may differ"
else
  log "erlang: not runnable; benches will skip it"
  status=1
fi
# CAF is a library: bench/actors compiles its program with g++ at bench time, so "runnable" means
# the headers are there and a compiler exists.
apt_pinned caf libcaf-dev "$caf_version"
installed=$(deb_installed libcaf-dev)
if [ -f /usr/include/caf/all.hpp ] && command -v g++ >/dev/null; then
  log "caf: libcaf-dev ${installed##* } (/usr/include/caf, $(g++ --version | head -1))"
  [ "${installed##* }" = "$caf_version" ] || log "caf: not the pinned $caf_version; figures may differ"
else
  log "caf: libcaf-dev headers or g++ missing; benches will skip it"
  status=1
fi
# hyperfine (bench/startup.py's launch floor), Debian's, pinned like the others.
hyperfine_version="1.15.0-2"
apt_pinned hyperfine hyperfine "$hyperfine_version"
if command -v hyperfine >/dev/null; then
  log "hyperfine: $(hyperfine --version)"
else
  log "hyperfine: not installed; the launch-floor figures are skipped"
  status=1
fi

if command -v node >/dev/null; then
  log "node: $(node --version) ($(command -v node), the machine's own)"
else
  log "node: not found; benches will skip it"
fi
exit $status
