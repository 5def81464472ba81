#!/usr/bin/env bash
# Installs the peer runtimes the benchmarks run beside mar, pinned, into bench/.peers (ignored by
# git): workerd, Deno and Bun from bench/peers/package-lock.json with `npm ci`, and links their
# binaries as bench/.peers/bin/{workerd,deno,bun}. Node is the machine's own (not pinned here).
# Erlang/OTP (for bench/actors) is Debian's erlang-base at a pinned version, installed with apt.
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
# Erlang/OTP for bench/actors: Debian bookworm's erlang-base, pinned, from apt (sudo only when not
# root, and never waiting for a password). A failure is logged and the actor bench skips Erlang.
erlang_version="1:25.2.3+dfsg-1+deb12u4"
sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo -n "$@"
  else log "not root and no sudo: cannot run $*"; return 1; fi
}
erlang_installed() { dpkg-query -W -f='${Status} ${Version}' erlang-base 2>/dev/null; }
apt_erlang() {
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "erlang-base=$erlang_version" >/dev/null
}
if [ "$(erlang_installed)" != "install ok installed $erlang_version" ]; then
  if ! command -v apt-get >/dev/null; then
    log "erlang: not installed, and no apt-get here to install erlang-base=$erlang_version; benches will skip it"
  else
    log "installing erlang-base=$erlang_version (apt)"
    apt_erlang 2>/dev/null || { sudo_if_needed apt-get update -qq >/dev/null 2>&1 && apt_erlang; } ||
      log "erlang: apt-get install erlang-base=$erlang_version failed (offline, no sudo, or the version left the archive)"
  fi
fi
if erl_release=$(erl -noshell -eval 'io:format("~s", [erlang:system_info(otp_release)]), halt().' 2>/dev/null); then
  installed=$(erlang_installed)
  log "erlang: OTP $erl_release, erlang-base ${installed##* } ($(command -v erl))"
  [ "${installed##* }" = "$erlang_version" ] || log "erlang: not the pinned $erlang_version; figures may differ"
else
  log "erlang: not runnable; benches will skip it"
  status=1
fi

if command -v node >/dev/null; then
  log "node: $(node --version) ($(command -v node), the machine's own)"
else
  log "node: not found; benches will skip it"
fi
exit $status
