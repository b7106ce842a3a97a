#!/usr/bin/env bash
# Install every Debian 12 package this project needs (build, unit tests,
# integration tests against a private Dovecot and a private GNU Mailutils pop3d, valgrind,
# clang, QEMU for the firmware run, tmux for the terminal test of pop3-cli's shell).
# Idempotent: returns quickly when everything is already installed.
# Run as root.  Never leaves a system-wide Dovecot or Mailutils pop3d running or enabled.
set -euo pipefail

PKGS=(
  build-essential cmake ninja-build pkg-config
  libmbedtls-dev libcmocka-dev
  dovecot-core dovecot-pop3d
  mailutils-pop3d
  openssl curl valgrind ca-certificates clang
  iproute2 procps
  libslirp-dev gcc-arm-none-eabi libnewlib-arm-none-eabi xz-utils bzip2 debian-archive-keyring
  libclang-rt-14-dev python3
  tmux
  qemu-system-arm
)

log() { printf 'install-deps: %s\n' "$*" >&2; }

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

# Stop a system-wide Dovecot if one is running (the package's postinst may
# start it when policy-rc.d allows; tests use a private instance instead).
stop_system_dovecot() {
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl stop dovecot.service dovecot.socket >/dev/null 2>&1 || true
    systemctl disable dovecot.service dovecot.socket >/dev/null 2>&1 || true
  fi
  if [ -x /etc/init.d/dovecot ]; then
    /etc/init.d/dovecot stop >/dev/null 2>&1 || true
  fi
  # The system instance keeps its master pid in /run/dovecot/master.pid.
  local pidf=/run/dovecot/master.pid
  if [ -s "$pidf" ]; then
    local pid
    pid=$(cat "$pidf")
    if kill -0 "$pid" 2>/dev/null; then
      log "stopping system dovecot (pid $pid)"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  fi
}

# mailutils-pop3d ships only a systemd unit (no init script, no inetd entry),
# enabled on install and started when systemd runs and policy-rc.d allows; it
# would listen on port 110 of every address.  The tests start their own.
stop_system_pop3d() {
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl stop mailutils-pop3d.service >/dev/null 2>&1 || true
    systemctl disable mailutils-pop3d.service >/dev/null 2>&1 || true
  elif [ -L /etc/systemd/system/multi-user.target.wants/mailutils-pop3d.service ]; then
    # no systemd running (nothing was started): keep the unit from starting
    # at a later boot; systemctl edits the links offline
    systemctl --no-reload disable mailutils-pop3d.service >/dev/null 2>&1 ||
      rm -f /etc/systemd/system/multi-user.target.wants/mailutils-pop3d.service
  fi
}

if [ "${#missing[@]}" -eq 0 ]; then
  log "all packages present"
  stop_system_dovecot
  stop_system_pop3d
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  log "need root to install: ${missing[*]}"
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log "installing: ${missing[*]}"

# Keep the package scripts from starting services in this environment.  If an
# admin policy-rc.d is already present, leave it in place; otherwise add a
# temporary deny-all one and remove it afterwards.
POLICY=/usr/sbin/policy-rc.d
added_policy=0
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"
  added_policy=1
fi
cleanup() { if [ "$added_policy" -eq 1 ]; then rm -f "$POLICY"; fi; }
trap cleanup EXIT

apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  "${missing[@]}" >/dev/null

stop_system_dovecot
stop_system_pop3d
log "done"
