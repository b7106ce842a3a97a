#!/usr/bin/env bash
# shellcheck disable=SC2086 # $tls and $common are word lists on purpose (key=value settings)
# The Cortex-M4 firmware (examples/lwip-baremetal, board qemu-mps2-an386) under QEMU
# against the test Dovecot, inside a private network namespace.
#
#   test/qemu/run.sh BUILD_DIR        (ctest: -L qemu; needs root for unshare -n and Dovecot)
#
# 1. builds the firmware (FW_BOARD=qemu-mps2-an386; a second image that prefers
#    AES-GCM to ChaCha20-Poly1305), the instruction-counting TCG plugin (insn_count.c) and the
#    address ranges of the image's components (ranges.py, from the link map);
# 2. in `unshare -n` (loopback only, so nothing can leave the machine): starts the
#    Dovecot fixture (test/integration/dovecot.sh); one POP3S run fetches its whole
#    mailbox (21 MB), then the 20 MB message is taken out of alice's mailbox and a
#    32 KB unsigned mail put in for the other runs (this instance is private to the test);
#    last, the mailbox is replaced by mail signed with examples/cmdmail/cmdmail-sign;
# 3. runs QEMU with the image; settings reach the firmware on the command line
#    (-append, read through semihosting): port, security, host name, CA file, clock,
#    expected message count and octets. QEMU's user network maps 10.0.2.2 to the
#    namespace's 127.0.0.1. The firmware's exit status (SYS_EXIT_EXTENDED) is QEMU's:
#      POP3S over the whole mailbox (21 MB); then, with the 20 MB message replaced by a
#      command mail, POP3S, STLS, plaintext (LAN9118 interrupt; and polled), POP3S
#      preferring AES-GCM, POP3S with XOAUTH2 (the fixture's 47- and 4,000-octet OAuth
#      tokens): exit 0, DHCP address 10.0.2.15 logged, every message's UID and
#      octet count as in the Maildir, each refused by the command-mail module, none run;
#      XOAUTH2 with an expired token: exit 1, the refusal and the JSON's status logged;
#      wrong CA, wrong host name, clock in 2100, clock at 1970: exit 1 with
#        "CONNECT: certificate verification failed", no message fetched;
#      no clock: exit 2 (deadline) with "waiting for the wall clock", never "connecting";
#      crash=1 (an undefined instruction): exit 3, the fault handler's report on the UART
#        with the faulting pc inside qemu_run_crash();
#      command mail, three plaintext boots with the NV slots in a host file (nv=): boot 1
#        runs exactly the commands of the two valid blocks and logs the verdicts of the
#        tampered, wrong-device, replayed and unsigned ones; boot 2 on the same file runs
#        nothing and writes nothing; boot 3 on the file as boot 1 left it, with one new
#        valid block on the server, runs only that one;
# 4. prints the measurements (instructions per body octet by component, stack and
#    mbedTLS heap high-water marks) and writes them to BUILD_DIR/qemu-table.md.
#
# Exit: 0 pass, 1 fail, 77 skipped (no qemu-system-arm, or no network namespace / root).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd "$here/../.." && pwd -P)
bdir=${1:?usage: run.sh BUILD_DIR}
log() { printf 'qemu-test: %s\n' "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }
QEMU_TIMEOUT=${QEMU_TIMEOUT:-60}

# ---- inside the namespace ------------------------------------------------------------
if [ "${2:-}" = "--inside" ]; then
  ip link set lo up || die "cannot bring lo up in the namespace"
  elf=$bdir/fw/pop3-fw.elf
  elf_aesgcm=$bdir/fw/pop3-fw-aesgcm.elf
  fix=$bdir/dovecot
  fixture=$repo/test/integration/dovecot.sh
  trap 'bash "$fixture" stop "$fix" >/dev/null 2>&1 || true' EXIT
  bash "$fixture" start "$fix" >"$bdir/dovecot-start.log" 2>&1 ||
    { cat "$bdir/dovecot-start.log" >&2; die "Dovecot fixture did not start"; }
  # shellcheck source=/dev/null
  . "$fix/env"
  # What the mailbox holds, in message order: "UID OCTETS" per line (UIDs from the
  # fixture's curl UIDL; the big message is the last one). Sets n and total.
  expected() { # FILE
    : >"$1"
    n=0 total=0
    # shellcheck disable=SC2012 # Maildir names: digits, letters, '.', ':', ','
    for f in $(ls "$fix/mail/alice/cur/" | sort); do
      n=$((n + 1))
      size=$(stat -c %s "$fix/mail/alice/cur/$f")
      total=$((total + size))
      uid=$(awk -v n="$n" '$1 == n { print $2 }' "$fix/expected/uidl")
      [ -n "$uid" ] || die "no UID for message $n in $fix/expected/uidl"
      printf '%s %s\n' "$uid" "$size" >>"$1"
    done
    [ "$n" -ge 3 ] || die "only $n messages in the fixture mailbox"
  }
  mark() { arm-none-eabi-nm "$1" | awk -v s="$2" '$3 == s { print "0x" $1 }'; }

  fw() { # NAME ELF PLUGIN(0/1) SETTINGS... -> sets rc, log in $bdir/NAME.log
    local name=$1 img=$2 plug=$3
    shift 3
    local args=()
    if [ "$plug" = 1 ]; then
      args=(-plugin "$bdir/insn_count.so,ranges=$bdir/ranges-$(basename "$img").txt,out=$bdir/$name.insn,start=$(mark "$img" qemu_mark_body_start),end=$(mark "$img" qemu_mark_body_end)")
    fi
    rm -f "$bdir/$name.log" "$bdir/$name.insn"
    local t0=$SECONDS
    rc=0
    timeout "$QEMU_TIMEOUT" qemu-system-arm -M mps2-an386 -kernel "$img" \
      -nic user,model=lan9118 -semihosting-config enable=on,target=native \
      -display none -monitor none -serial "file:$bdir/$name.log" "${args[@]}" \
      -append "$*" >"$bdir/$name.qemu.out" 2>&1 || rc=$?
    [ -f "$bdir/$name.log" ] && sed -i 's/\r$//' "$bdir/$name.log" # the UART log ends lines in CRLF
    log "$name: exit $rc ($((SECONDS - t0)) s)"
  }
  show() { sed 's/^/    | /' "$bdir/$1.log" >&2; cat "$bdir/$1.qemu.out" >&2; }
  expect_ok() { # NAME [EXPECTED-FILE]
    local name=$1 want=${2:-$bdir/expected.txt} got
    [ "$rc" = 0 ] || { show "$name"; die "$name: exit status $rc, expected 0"; }
    grep -qx 'qemu-run: OK' "$bdir/$name.log" || { show "$name"; die "$name: no 'qemu-run: OK'"; }
    grep -qx 'qemu-run: address: 10.0.2.15' "$bdir/$name.log" || { show "$name"; die "$name: no DHCP lease 10.0.2.15"; }
    # No signed mail here: every message judged by the command-mail module, none accepted.
    [ "$(grep -cE '^  refused: ' "$bdir/$name.log")" = "$(wc -l <"$want")" ] ||
      { show "$name"; die "$name: not every message has a command-mail verdict"; }
    ! grep -qE '^cmd seq=|^  accepted: ' "$bdir/$name.log" || { show "$name"; die "$name: a command ran from unsigned mail"; }
    got=$(awk '/^mail done: / { uid = $3 } /^  octets: / { print uid, $2 }' "$bdir/$name.log")
    [ "$got" = "$(cat "$want")" ] ||
      { show "$name"; printf 'expected:\n%s\ngot:\n%s\n' "$(cat "$want")" "$got" >&2
        die "$name: messages differ from the Maildir"; }
  }
  expect_refused() { # NAME REASON-REGEX
    local name=$1
    [ "$rc" = 1 ] || { show "$name"; die "$name: exit status $rc, expected 1"; }
    grep -qx 'CONNECT: certificate verification failed' "$bdir/$name.log" ||
      { show "$name"; die "$name: no 'CONNECT: certificate verification failed'"; }
    grep -qE "^  tls: .*$2" "$bdir/$name.log" || { show "$name"; die "$name: TLS reason does not match /$2/"; }
    ! grep -q '^mail done' "$bdir/$name.log" || { show "$name"; die "$name: mail fetched"; }
    log "$name: refused: $(grep '^  tls: ' "$bdir/$name.log" | head -n1 | sed 's/^  tls: //')"
  }

  tls="sec=tls port=$POP3S_PORT ca=$POP3_CAFILE host=localhost"
  # Once with the whole mailbox (21 MB, a 20 MiB message among them: about 5 s), then
  # without the big message for everything else.
  expected "$bdir/expected-all.txt"
  fw pop3s-all "$elf" 0 $tls clock=host user=$POP3_TEST_USER pass=$POP3_TEST_PASSWORD \
    expect=$n bytes=$total deadline=$((QEMU_TIMEOUT - 5))
  expect_ok pop3s-all "$bdir/expected-all.txt"
  log "pop3s-all: $n messages, $total octets over POP3S"
  rm -f "$fix/mail/alice/cur/"*".M${MSG_BIG}P1."*
  # A 32 KB mail with command look-alikes ("cmd:" lines, as the firmware's old unsigned
  # parser took them) but no signed block: the module refuses it as unsigned.
  uid1=$(awk '$1 == 1 { print $2 }' "$fix/expected/uidl")
  {
    printf 'From: Operator <ops@example.org>\nTo: Alice <alice@localhost>\nSubject: commands\n'
    printf 'cmd: in-the-headers (not a command)\nX-Seed: cmd\n\n'
    for i in $(seq 1 400); do
      printf 'filler line %d %s\n' "$i" "$(printf '%*s' $(((i * 37) % 120)) '' | tr ' ' 'x')"
      [ $((i % 13)) = 0 ] && printf 'cmd: set n=%d\n' "$i"
      [ $((i % 97)) = 0 ] && printf ' cmd: indented (not a command)\nCMD: upper case (not one)\ncmd:\n'
    done
    printf 'cmd: long %s end\n' "$(printf '%*s' 150 '' | tr ' ' 'y')"
    printf 'last line\n'
  } | sed 's/$/\r/' >"$bdir/cmd-mail.eml"
  install -o dovecot -g dovecot -m 644 "$bdir/cmd-mail.eml" "$fix/mail/alice/cur/1700000099.M99P1.pop3test:2,S"
  expected "$bdir/expected.txt"
  # Dovecot gives the new file the next UID (7: UIDs are never reused), same UIDVALIDITY.
  sed -i "\$s/^[^ ]*/$(printf '%08X' 7)${uid1:8}/" "$bdir/expected.txt"
  common="user=$POP3_TEST_USER pass=$POP3_TEST_PASSWORD expect=$n bytes=$total"
  fw pop3s "$elf" 1 $tls clock=host $common; expect_ok pop3s
  fw stls "$elf" 0 sec=stls port=$POP3_PORT ca=$POP3_CAFILE host=localhost clock=host $common; expect_ok stls
  fw plain "$elf" 1 sec=plain port=$POP3_PORT clock=host $common; expect_ok plain
  fw plain-polled "$elf" 0 sec=plain port=$POP3_PORT clock=host netif=poll $common; expect_ok plain-polled
  irqs() { sed -n 's/^qemu-run: netif interrupts: //p' "$bdir/$1.log"; }
  [ "$(irqs plain)" -gt 0 ] && [ "$(irqs plain-polled)" = 0 ] ||
    die "LAN9118 interrupts: $(irqs plain) with netif=irq, $(irqs plain-polled) with netif=poll (expected >0 and 0)"
  fw pop3s-aesgcm "$elf_aesgcm" 1 $tls clock=host $common; expect_ok pop3s-aesgcm
  # XOAUTH2 with the fixture's OAuth tokens (its oauth2 passdb), when it has them: the
  # token streamed from a host file through read_secret, a wrong password so that only the
  # token can log in. The 4,000-octet one (far beyond tx_buf) must fetch the mailbox as
  # before; an expired one must be refused with the server's JSON status, nothing fetched.
  if [ -n "${POP3_OAUTH2_TOKEN_ALICE:-}" ]; then
    for t in ALICE LONG; do
      tok=POP3_OAUTH2_TOKEN_$t
      tok_val=${!tok:-}
      [ -n "$tok_val" ] || die "the fixture exports POP3_OAUTH2_TOKEN_ALICE but not $tok"
      printf '%s\n' "$tok_val" >"$bdir/oauth2-token-$t"
      fw "xoauth2-$t" "$elf" 0 $tls clock=host $common pass=not-the-password token="$bdir/oauth2-token-$t"
      expect_ok "xoauth2-$t"
      grep -qx 'login: AUTH XOAUTH2' "$bdir/xoauth2-$t.log" || { show "xoauth2-$t"; die "xoauth2-$t: no 'login: AUTH XOAUTH2'"; }
      log "xoauth2-$t: logged in with a ${#tok_val}-octet token, mailbox fetched"
    done
    printf '%s\n' "$POP3_OAUTH2_TOKEN_EXPIRED" >"$bdir/oauth2-token-EXPIRED"
    fw xoauth2-expired "$elf" 0 $tls clock=host $common pass=not-the-password token="$bdir/oauth2-token-EXPIRED"
    [ "$rc" = 1 ] || { show xoauth2-expired; die "xoauth2-expired: exit status $rc, expected 1"; }
    grep -qx '  OAuth token refused: refresh it' "$bdir/xoauth2-expired.log" &&
      grep -q '^  oauth status: .' "$bdir/xoauth2-expired.log" ||
      { show xoauth2-expired; die "xoauth2-expired: the refusal and its status are not logged"; }
    ! grep -q '^mail done' "$bdir/xoauth2-expired.log" || { show xoauth2-expired; die "xoauth2-expired: mail fetched"; }
    log "xoauth2-expired: refused ($(sed -n 's/^  oauth status: //p' "$bdir/xoauth2-expired.log")), nothing fetched"
  else
    log "xoauth2: SKIPPED (the fixture exports no POP3_OAUTH2_TOKEN_ALICE)"
  fi
  fw wrong-ca "$elf" 0 sec=tls port=$POP3S_PORT ca=$POP3_WRONG_CAFILE host=localhost clock=host $common
  expect_refused wrong-ca 'not trusted'
  fw wrong-host "$elf" 0 sec=tls port=$POP3S_PORT ca=$POP3_CAFILE host=wrong.example.org clock=host $common
  expect_refused wrong-host "not valid for host 'wrong.example.org'"
  fw clock-2100 "$elf" 0 $tls clock=4102444800 $common
  expect_refused clock-2100 'expired'
  fw clock-1970 "$elf" 0 $tls clock=86400 $common
  expect_refused clock-1970 'future|not yet|valid'
  fw no-clock "$elf" 0 $tls clock=none deadline=4 $common
  [ "$rc" = 2 ] || { show no-clock; die "no-clock: exit status $rc, expected 2 (deadline)"; }
  grep -qx 'waiting for the wall clock (certificate dates are checked)' "$bdir/no-clock.log" ||
    { show no-clock; die "no-clock: no 'waiting for the wall clock' line"; }
  grep -qx 'qemu-run: address: 10.0.2.15' "$bdir/no-clock.log" || { show no-clock; die "no-clock: no DHCP lease"; }
  ! grep -qx 'connecting' "$bdir/no-clock.log" || { show no-clock; die "no-clock: connected without a clock"; }
  log "no-clock: DHCP lease taken, no TLS session started without a wall clock"
  fw crash "$elf" 0 sec=plain port=$POP3_PORT crash=1 $common
  [ "$rc" = 3 ] || { show crash; die "crash: exit status $rc, expected 3 (fault)"; }
  grep -qx 'FAULT: exception: 3' "$bdir/crash.log" || { show crash; die "crash: no HardFault report"; }
  pc=$(sed -n 's/^  pc: 0x//p' "$bdir/crash.log")
  read -r fn_addr fn_size < <(arm-none-eabi-nm -S "$elf" | awk '$4 == "qemu_run_crash" { print $1, $2 }')
  [ -n "$pc" ] && [ $((16#$pc)) -ge $(((16#$fn_addr) & ~1)) ] && [ $((16#$pc)) -lt $((16#$fn_addr + 16#$fn_size)) ] ||
    { show crash; die "crash: reported pc 0x$pc is not in qemu_run_crash (0x$fn_addr)"; }
  log "crash: HardFault reported (pc 0x$pc in qemu_run_crash), exit 3"
  echo "$total $n" >"$bdir/body-octets"

  # ---- command mail across reboots (plaintext: the transport is not what is tested) ----
  # alice's mailbox now holds only mail signed by cmdmail-sign with the board's test key
  # (boards/qemu-mps2-an386/board_config.h): two valid blocks, one tampered, one for
  # another device, one replayed, one unsigned. The NV slots are a host file (nv=).
  cm=$bdir/cmdmail
  rm -rf "$cm"
  mkdir -p "$cm"
  cfgh=$repo/examples/lwip-baremetal/boards/qemu-mps2-an386/board_config.h
  dev=$(sed -n 's/^#define FW_CMDMAIL_DEVICE "\(.*\)"$/\1/p' "$cfgh")
  sed -n 's/^#define FW_CMDMAIL_KEY_HEX "\([0-9a-f]*\)"$/\1/p' "$cfgh" >"$cm/test.key"
  [ -n "$dev" ] && [ "$(tr -d '\n' <"$cm/test.key" | wc -c)" = 64 ] || die "no test device id/key in $cfgh"
  sign() { # OUT ARGS...
    local out=$1
    shift
    python3 "$repo/examples/cmdmail/cmdmail-sign" --key "$cm/test.key" --to alice@localhost --date 1700000000 "$@" -o "$out" ||
      die "cmdmail-sign $*"
  }
  sign "$cm/1.eml" --device "$dev" --seq 1 --cmd "relay 1 on" --cmd "report"
  sign "$cm/2.eml" --device "$dev" --seq 3 --cmd "relay 2 on"
  sed -i 's/^Cmd: relay 2 on/Cmd: relay 2 off/' "$cm/2.eml" # tampered in transit: the MAC no longer matches
  grep -q '^Cmd: relay 2 off' "$cm/2.eml" || die "the tampered block was not changed"
  sign "$cm/3.eml" --device other-device --seq 4 --cmd "relay 1 off"
  sign "$cm/4.eml" --device "$dev" --seq 2 --cmd "set interval 300" --encoding quoted-printable --footer "-- sent by the ops list"
  sign "$cm/5.eml" --device "$dev" --seq 1 --cmd "relay 1 on" --cmd "report" --message-id "<replay@attacker.invalid>"
  printf 'From: ops@example.org\nTo: alice@localhost\nSubject: unsigned\n\ncmd: relay 1 off\nrelay 1 off\n' |
    sed 's/$/\r/' >"$cm/6.eml"
  rm -f "$fix/mail/alice/cur/"* "$fix/mail/alice/new/"*
  cm_seed() { # N: message file N into the Maildir (names sort in mailbox order)
    install -o dovecot -g dovecot -m 644 "$cm/$1.eml" "$fix/mail/alice/cur/17100000$(printf '%02d' "$1").M$1P1.cmdmail:2,S"
  }
  cm_octets() { local t=0 i; for i in "$@"; do t=$((t + $(stat -c %s "$cm/$i.eml"))); done; echo "$t"; }
  for i in 1 2 3 4 5 6; do cm_seed "$i"; done
  cm_boot() { # NAME NV-FILE EXPECT-MSGS OCTETS: a plaintext boot that must end with qemu-run: OK
    fw "$1" "$elf" 0 sec=plain port=$POP3_PORT clock=host user=$POP3_TEST_USER pass=$POP3_TEST_PASSWORD \
      nv="$2" expect="$3" bytes="$4"
    [ "$rc" = 0 ] && grep -qx 'qemu-run: OK' "$bdir/$1.log" || { show "$1"; die "$1: exit status $rc, expected 0 and 'qemu-run: OK'"; }
  }
  cm_expect() { # NAME WHAT EXPECTED-TEXT ACTUAL-TEXT
    [ "$3" = "$4" ] || { show "$1"; printf 'expected:\n%s\ngot:\n%s\n' "$3" "$4" >&2; die "$1: $2 differ"; }
  }
  cm_cmds() { grep '^cmd seq=' "$bdir/$1.log" || true; }
  # "VERDICT SEQ" per message in mailbox order, from the "  accepted:"/"  refused:" lines.
  cm_verdicts() {
    sed -nE 's/^  accepted: seq ([0-9]+),.*/accepted \1/p; s/^  refused: ([a-z_]+) \(.*\), seq ([0-9]+).*/\1 \2/p' "$bdir/$1.log"
  }
  cm_line() { grep -E "$2" "$bdir/$1.log" || { show "$1"; die "$1: no line /$2/"; }; }

  : >"$cm/nv.bin" # an empty file: the device never wrote its state
  cm_boot cmdmail-boot1 "$cm/nv.bin" 6 "$(cm_octets 1 2 3 4 5 6)"
  cm_line cmdmail-boot1 "^cmdmail: device $dev, last seq 0, pending seq 0\$" >/dev/null
  cm_expect cmdmail-boot1 "commands run" "$(printf 'cmd seq=1 #0: relay 1 on\ncmd seq=1 #1: report\ncmd seq=2 #0: set interval 300')" \
    "$(cm_cmds cmdmail-boot1)"
  cm_expect cmdmail-boot1 "verdicts" "$(printf 'accepted 1\ninvalid 3\nwrong_device 4\naccepted 2\nreplayed 1\nunsigned 0')" \
    "$(cm_verdicts cmdmail-boot1)"
  cm_line cmdmail-boot1 '^  refused: invalid \(bad MAC\)' >/dev/null
  cm_line cmdmail-boot1 '^cmdmail: poll: listed 6, seen 0, fetched 6, accepted 2, refused 4, commands 3$' >/dev/null
  [ -s "$cm/nv.bin" ] || die "cmdmail-boot1: the NV file is still empty"
  cp "$cm/nv.bin" "$cm/nv-after-boot1.bin"
  log "cmdmail-boot1: 3 commands of 2 valid blocks ran; tampered, wrong-device, replayed, unsigned refused"

  # The same state again: every message is seen, none fetched, nothing runs, nothing written.
  cm_boot cmdmail-boot2 "$cm/nv.bin" 0 0
  cm_line cmdmail-boot2 "^cmdmail: device $dev, last seq 2, pending seq 0\$" >/dev/null
  cm_expect cmdmail-boot2 "commands run" "" "$(cm_cmds cmdmail-boot2)"
  cm_line cmdmail-boot2 '^cmdmail: poll: listed 6, seen 6, fetched 0, accepted 0, refused 0, commands 0$' >/dev/null
  cm_line cmdmail-boot2 '^qemu-run: NV writes: 0$' >/dev/null
  cmp -s "$cm/nv.bin" "$cm/nv-after-boot1.bin" || die "cmdmail-boot2: the NV file changed"

  # The state as the first boot left it, and one new valid block on the server: only it runs.
  sign "$cm/7.eml" --device "$dev" --seq 5 --cmd "relay 2 on"
  cm_seed 7
  cp "$cm/nv-after-boot1.bin" "$cm/nv3.bin"
  cm_boot cmdmail-boot3 "$cm/nv3.bin" 1 "$(cm_octets 7)"
  cm_expect cmdmail-boot3 "commands run" "cmd seq=5 #0: relay 2 on" "$(cm_cmds cmdmail-boot3)"
  cm_expect cmdmail-boot3 "verdicts" "accepted 5" "$(cm_verdicts cmdmail-boot3)"
  cm_line cmdmail-boot3 '^cmdmail: poll: listed 7, seen 6, fetched 1, accepted 1, refused 0, commands 1$' >/dev/null
  log "cmdmail-boot2/3: nothing ran again on the same state; from the first boot's state only the new block ran"
  exit 0
fi

# ---- outside: build, then enter the namespace --------------------------------------
command -v qemu-system-arm >/dev/null || { log "SKIP: qemu-system-arm not installed (test/install-deps.sh)"; exit 77; }
for t in arm-none-eabi-gcc arm-none-eabi-nm cc python3 cmake; do
  command -v "$t" >/dev/null || die "$t not found (test/install-deps.sh)"
done
unshare -n true 2>/dev/null || { log "SKIP: cannot create a network namespace (unshare -n needs root)"; exit 77; }
mkdir -p "$bdir"
bdir=$(cd "$bdir" && pwd -P)
deps=${POP3_DEPS_DIR:-$repo/.deps}
for d in lwip-2.2.1 mbedtls-3.6; do
  [ -d "$deps/$d" ] || { mkdir -p "$deps"; flock "$deps/.fetch.lock" bash "$repo/test/deps/fetch-sources.sh" "$deps"; }
done
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
fwsrc=$repo/examples/lwip-baremetal
cmake -S "$fwsrc" -B "$bdir/fw" "${generator[@]}" -DCMAKE_TOOLCHAIN_FILE="$fwsrc/cmake/arm-none-eabi.cmake" \
  -DLWIP_DIR="$deps/lwip-2.2.1" -DMBEDTLS_DIR="$deps/mbedtls-3.6" -DFW_BOARD=qemu-mps2-an386 \
  >"$bdir/fw-configure.log" 2>&1 || { cat "$bdir/fw-configure.log" >&2; die "firmware configure failed"; }
cmake --build "$bdir/fw" -j 2 >"$bdir/fw-build.log" 2>&1 ||
  { tail -n 40 "$bdir/fw-build.log" >&2; die "firmware build failed (log: $bdir/fw-build.log)"; }
cc -O2 -Wall -Wextra -Werror -shared -fPIC -o "$bdir/insn_count.so" "$here/insn_count.c" ||
  die "cannot build the TCG plugin"
for img in pop3-fw.elf pop3-fw-aesgcm.elf; do
  [ -f "$bdir/fw/$img" ] || die "no $bdir/fw/$img"
  python3 "$here/ranges.py" "$bdir/fw/${img%.elf}.map" >"$bdir/ranges-$img.txt"
done

unshare -n bash "$0" "$bdir" --inside || exit 1
python3 "$here/report.py" "$bdir" | tee "$bdir/qemu-table.md"
