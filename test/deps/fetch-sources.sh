#!/usr/bin/env bash
# Fetch the third-party sources the lwIP port and the mbedTLS 3.6 build use,
# from Debian's source archive, without touching the system's apt
# configuration (a private sources file and lists directory):
#   lwIP 2.1.3 (bookworm), lwIP 2.2.1 (trixie), mbedTLS 3.6 LTS (trixie).
#
#   fetch-sources.sh DEST
#
# DEST/lwip-2.1.3, DEST/lwip-2.2.1 and DEST/mbedtls-3.6 are created (the
# extracted upstream trees); tarballs are cached in DEST/dl so a second run
# does no network access. Safe to run concurrently on different DESTs.
set -euo pipefail

dest=${1:?usage: fetch-sources.sh DEST}
mkdir -p "$dest/dl"
dest=$(cd "$dest" && pwd -P)
apt_dir=$dest/apt
log() { printf 'fetch-sources: %s\n' "$*" >&2; }

have_all() {
  [ -f "$dest/lwip-2.1.3/src/core/tcp.c" ] && [ -f "$dest/lwip-2.2.1/src/core/tcp.c" ] &&
    [ -f "$dest/mbedtls-3.6/include/mbedtls/ssl.h" ]
}
if have_all; then
  exit 0
fi
# One fetch per DEST at a time (parallel configures share .deps).
exec 9>"$dest/.lock"
flock 9
if have_all; then
  exit 0
fi

apt_opts=(-o "Dir::Etc::sourcelist=$apt_dir/sources.sources" -o Dir::Etc::sourceparts=/nonexistent
  -o "Dir::State::Lists=$apt_dir/lists" -o Dir::Cache="$apt_dir/cache"
  -o Debug::NoLocking=1 -o APT::Sandbox::User=root)

fetch() { # source-package suite
  local pkg=$1 suite=$2
  if ls "$dest/dl/${pkg}_"*.orig.tar.* 2>/dev/null | grep -q "$3"; then
    return 0
  fi
  if [ ! -s "$apt_dir/lists/.updated" ]; then
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
    cat >"$apt_dir/sources.sources" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    log "apt-get update (private source lists in $apt_dir)"
    apt-get "${apt_opts[@]}" update -qq
    # apt can exit 0 with nothing fetched: only a list with Sources counts.
    ls "$apt_dir/lists/"*Sources* >/dev/null 2>&1 || { log "apt-get update fetched no source lists"; exit 1; }
    date >"$apt_dir/lists/.updated"
  fi
  log "downloading $pkg/$suite"
  (cd "$dest/dl" && apt-get "${apt_opts[@]}" source --download-only -qq "$pkg/$suite")
}

extract() { # tarball-glob target-dir
  local tarball target=$2 tmp
  tarball=$(ls $1 | head -n1)
  [ -n "$tarball" ] || { log "missing $1"; exit 1; }
  [ -d "$target" ] && return 0
  tmp=$(mktemp -d "$dest/.x.XXXXXX")
  tar -xf "$tarball" -C "$tmp"
  mv "$tmp"/* "$target"
  rmdir "$tmp"
}

fetch lwip bookworm 'lwip_2\.1\.3'
fetch lwip trixie 'lwip_2\.2\.1'
fetch mbedtls trixie 'mbedtls_3\.6\.'
extract "$dest/dl/lwip_2.1.3*.orig.tar.*" "$dest/lwip-2.1.3"
extract "$dest/dl/lwip_2.2.1*.orig.tar.*" "$dest/lwip-2.2.1"
extract "$dest/dl/mbedtls_3.6.*.orig.tar.*" "$dest/mbedtls-3.6"
have_all || { log "sources incomplete in $dest"; exit 1; }
log "ready: $dest/lwip-2.1.3 $dest/lwip-2.2.1 $dest/mbedtls-3.6"
