#!/usr/bin/env bash
# selftest.sh - end-to-end check of the guest image: build it (or reuse it),
# start a real ephemera-broker on 127.0.0.1, boot the guest under qemu TCG
# (q35) with a swtpm vTPM provisioned by swtpm-fixtures (project-local CA,
# the broker's EK trust), the guest reaching only the broker (user-mode
# network, restrict=on, one guestfwd), and check that its agent enrols and
# attests (broker log and `ephemeractl agents list`), that the ttyS1 shell
# works and extends a PCR, and that a later attestation still succeeds.
#
# Usage: selftest.sh [--bin DIR] [--guest DIR] [--ovmf] [--kvm] [--keep]
#   --bin DIR    build folder with the broker, ephemeractl and the agent
#                (default $EPH_BINARY_DIR, else the checkout's build/)
#   --guest DIR  where the guest is built / reused (default DIR/packaging-guest;
#                rebuilt when older than the agent or packaging/guest/*)
#   --ovmf       boot with Debian's OVMF instead of SeaBIOS (UEFI event log,
#                initrd measured into PCR 9); EPH_GUEST_OVMF=1 does the same
#   --kvm        -accel kvm -accel tcg (KVM, TCG when KVM fails) instead of TCG
#   --keep       keep the work folder (printed) for inspection
#
# EPH_GUEST_CACHE=DIR: where build-guest.sh keeps the kernel package (shared
# by several build folders; default GUESTDIR/cache).
#
# Exit status: 0 pass, 1 fail, 77 skip ("SKIP: ..." on stdout) when qemu (or
# what building the guest needs) is not installed or cannot run. Bounded by
# EPH_SELFTEST_TIMEOUT seconds (default 420). Every process it starts
# (broker, swtpm, qemu and qemu's guestfwd helpers) is stopped on exit.
#
# Not here: the VM driver (broker/driver/qemu) or the broker's lifecycle:
# the test drives qemu itself, with the command line documented in
# packaging/guest/README.md.
set -uo pipefail

prog=${0##*/}
here=$(cd -- "$(dirname -- "$0")" && pwd -P)
top=$(cd -- "$here/../.." && pwd -P)
fixtures=$top/swtpm-fixtures

bindir=${EPH_BINARY_DIR:-$top/build} guest="" ovmf=${EPH_GUEST_OVMF:-0} accel=tcg keep=0
while [ $# -gt 0 ]; do
	case $1 in
	--bin) bindir=$2; shift 2 ;;
	--guest) guest=$2; shift 2 ;;
	--ovmf) ovmf=1; shift ;;
	--kvm) accel=kvm; shift ;;
	--keep) keep=1; shift ;;
	*) echo "usage: $prog [--bin DIR] [--guest DIR] [--ovmf] [--kvm] [--keep]" >&2; exit 2 ;;
	esac
done
[ -n "$guest" ] || guest=$bindir/packaging-guest
limit=${EPH_SELFTEST_TIMEOUT:-420}
# The overall bound: the script runs under timeout(1), whose SIGTERM ends it
# through the cleanup below.
if [ -z "${EPH_SELFTEST_BOUNDED:-}" ] && command -v timeout >/dev/null 2>&1; then
	again=(--bin "$bindir" --guest "$guest")
	[ "$ovmf" = 1 ] && again+=(--ovmf)
	[ "$accel" != tcg ] && again+=(--kvm)
	[ "$keep" = 1 ] && again+=(--keep)
	EPH_SELFTEST_BOUNDED=1 exec timeout -k 20 "$limit" "$0" "${again[@]}"
fi

ms() { date +%s%3N; }
t_begin=$(ms)
log() { printf '%s: [%6.1f s] %s\n' "$prog" "$(( $(ms) - t_begin ))e-3" "$*"; }
skip() {
	echo "SKIP: $prog: $*"
	exit 77
}

# --- can this machine run it at all? ----------------------------------------
command -v qemu-system-x86_64 >/dev/null 2>&1 ||
	skip "qemu-system-x86_64 not installed (apt-get install -y qemu-system-x86)"
qemu-system-x86_64 -version >/dev/null 2>&1 || skip "qemu-system-x86_64 does not run here"
qemu-system-x86_64 -accel help 2>/dev/null | grep -qx tcg || skip "this qemu has no TCG accelerator"
for t in swtpm:swtpm swtpm_setup:swtpm-tools cpio:cpio python3:python3 openssl:openssl; do
	command -v "${t%%:*}" >/dev/null 2>&1 || skip "${t%%:*} not installed (apt-get install -y ${t#*:})"
done
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 ||
	skip "busybox-static not installed (apt-get install -y busybox-static)"
accel_args=(-accel tcg)
[ "$accel" = kvm ] && accel_args=(-accel kvm -accel tcg)
fw_args=()
if [ "$ovmf" = 1 ]; then
	[ -r /usr/share/ovmf/OVMF.fd ] || skip "OVMF not installed (apt-get install -y ovmf)"
	fw_args=(-bios /usr/share/ovmf/OVMF.fd)
fi
for b in broker/daemon/ephemera-broker broker/ctl/ephemeractl agent/daemon/ephemera-agent; do
	[ -x "$bindir/$b" ] || { echo "$prog: FAIL: $bindir/$b is not built" >&2; exit 1; }
done
broker_bin=$bindir/broker/daemon/ephemera-broker
ctl_bin=$bindir/broker/ctl/ephemeractl

# --- the work folder and cleanup -----------------------------------------------
mkdir -p -- "$guest"
work=$(mktemp -d "$(cd -- "$guest" && pwd -P)/selftest.XXXXXX")
broker_pid="" qemu_pid="" failed=1
cleanup() {
	local p
	if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
		kill -TERM "$qemu_pid" 2>/dev/null
		for _ in $(seq 1 30); do kill -0 "$qemu_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$qemu_pid" 2>/dev/null
	fi
	[ -n "$qemu_pid" ] && wait "$qemu_pid" 2>/dev/null
	if [ -n "$broker_pid" ]; then
		kill -TERM "$broker_pid" 2>/dev/null
		for _ in $(seq 1 30); do kill -0 "$broker_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$broker_pid" 2>/dev/null
		wait "$broker_pid" 2>/dev/null
	fi
	# swtpm ends when qemu closes its socket; make sure of it.
	if [ -r "$work/swtpm.pid" ]; then
		p=$(tr -dc 0-9 <"$work/swtpm.pid")
		if [ -n "$p" ] && grep -q "swtpm" "/proc/$p/cmdline" 2>/dev/null &&
			grep -q -- "$work" "/proc/$p/cmdline" 2>/dev/null; then
			kill -TERM "$p" 2>/dev/null
			sleep 0.3
			kill -KILL "$p" 2>/dev/null
		fi
	fi
	"$fixtures/swtpm-down.sh" "$work/tpm" >/dev/null 2>&1
	if [ "$failed" = 1 ]; then
		echo "---- guest console (last 40 lines) ----"
		tail -n 40 "$work/console.log" 2>/dev/null | tr -d '\033' | grep -av '^\[' | tail -n 25
		echo "---- broker log (last 15 lines) ----"
		tail -n 15 "$work/broker/broker.log" 2>/dev/null
	fi
	if [ "$keep" = 1 ] || [ "$failed" = 1 ]; then
		echo "$prog: work folder kept: $work"
	else
		rm -rf -- "$work"
	fi
}
trap cleanup EXIT
trap 'echo "$prog: FAIL: interrupted (timeout after ${limit}s?)"; exit 1' INT TERM
fail() {
	echo "$prog: FAIL: $*"
	exit 1
}

# --- 1. the guest ---------------------------------------------------------------
agent=$bindir/agent/daemon/ephemera-agent
stale=0
[ -s "$guest/vmlinuz" ] && [ -s "$guest/initrd-base.cpio.gz" ] || stale=1
if [ "$stale" = 0 ]; then
	for f in "$agent" "$here"/*; do
		[ "$f" -nt "$guest/initrd-base.cpio.gz" ] && stale=1
	done
fi
if [ "$stale" = 1 ]; then
	t0=$(ms)
	cache_args=()
	[ -n "${EPH_GUEST_CACHE:-}" ] && cache_args=(--cache "$EPH_GUEST_CACHE")
	"$here/build-guest.sh" "$guest" --agent "$agent" "${cache_args[@]}" >"$work/build-guest.log" 2>&1 ||
		fail "build-guest.sh failed: $(tail -n 5 "$work/build-guest.log")"
	log "guest built in $(($(ms) - t0)) ms"
else
	log "guest reused from $guest"
fi

# --- 2. the vTPM: provisioned by swtpm-fixtures, run with qemu's ctrl channel ---
"$fixtures/swtpm-up.sh" --ca "$work/ca" "$work/tpm" >/dev/null 2>"$work/swtpm-up.log" ||
	fail "swtpm-up.sh: $(tail -n 3 "$work/swtpm-up.log")"
"$fixtures/swtpm-down.sh" "$work/tpm" >/dev/null 2>&1 || fail "swtpm-down.sh"
mkdir -p "$work/trust"
"$fixtures/swtpm-ca.sh" "$work/ca" "$work/trust" >/dev/null 2>&1 || fail "swtpm-ca.sh export"
swtpm socket --tpm2 --tpmstate "dir=$work/tpm" \
	--ctrl "type=unixio,path=$work/swtpm.sock" \
	--pid "file=$work/swtpm.pid" --log "file=$work/swtpm.log" --daemon ||
	fail "swtpm did not start: $(tail -n 3 "$work/swtpm.log")"

# --- 3. the broker ----------------------------------------------------------------
mkdir -p "$work/broker"
out=$("$broker_bin" --gen-self-signed "$work/broker" 2>&1) || fail "--gen-self-signed: $out"
pin=$(printf '%s\n' "$out" | grep -o 'sha256//[A-Za-z0-9+/=]*' | head -n 1)
[ -n "$pin" ] || fail "no pin in: $out"
"$broker_bin" --port 0 --port-file "$work/broker/port" \
	--tls-cert "$work/broker/broker-cert.pem" --tls-key "$work/broker/broker-key.pem" \
	--store "$work/broker/store.db" --ek-trust "$work/trust" -v 2>"$work/broker/broker.log" &
broker_pid=$!
port=""
for _ in $(seq 1 100); do
	port=$(cat "$work/broker/port" 2>/dev/null)
	[ -n "$port" ] && break
	kill -0 "$broker_pid" 2>/dev/null || fail "the broker exited: $(tail -n 3 "$work/broker/broker.log")"
	sleep 0.05
done
[ -n "$port" ] || fail "the broker did not write its port"
log "broker on 127.0.0.1:$port"

# --- 4. the per-VM config archive, appended to the base initrd -------------------
"$here/mkconfig-cpio.sh" "$work/config.cpio.gz" --broker-url https://10.0.2.100:8443 \
	--pin "$pin" --cert "$work/broker/broker-cert.pem" --period 5 --start-timeout 0 \
	--hostname selftest-guest || fail "mkconfig-cpio.sh"
cat "$guest/initrd-base.cpio.gz" "$work/config.cpio.gz" >"$work/initrd"

# --- 5. boot ------------------------------------------------------------------------
# guestfwd with cmd: (one relay process per guest connection), not a tcp:
# chardev: a chardev is one host connection made when qemu starts, and the
# agent's later connections would never reach the broker once it closes.
t_boot=$(ms)
qemu-system-x86_64 -M q35 "${accel_args[@]}" -m 512 -smp 1 "${fw_args[@]}" \
	-nodefaults -no-user-config -display none -no-reboot \
	-kernel "$guest/vmlinuz" -initrd "$work/initrd" \
	-append "console=ttyS0 panic=-1 ephemera.restart_delay=2" \
	-chardev "socket,id=chrtpm,path=$work/swtpm.sock" \
	-tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-crb,tpmdev=tpm0 \
	-netdev "user,id=n0,restrict=on,guestfwd=tcp:10.0.2.100:8443-cmd:/bin/busybox nc 127.0.0.1 $port" \
	-device virtio-net-pci,netdev=n0 \
	-chardev "file,id=con0,path=$work/console.log" -serial chardev:con0 \
	-chardev "socket,id=sh1,path=$work/ttyS1.sock,server=on,wait=off" -serial chardev:sh1 \
	-qmp "unix:$work/qmp.sock,server=on,wait=off" \
	>"$work/qemu.log" 2>&1 &
qemu_pid=$!
log "qemu $qemu_pid started ($accel, $([ "$ovmf" = 1 ] && echo OVMF || echo SeaBIOS))"

# wait_for FILE REGEX WHAT: until REGEX is in FILE (qemu must stay up).
wait_for() {
	while ! grep -aq -- "$2" "$1" 2>/dev/null; do
		kill -0 "$qemu_pid" 2>/dev/null || fail "qemu exited while waiting for $3: $(tail -n 3 "$work/qemu.log")"
		sleep 0.2
	done
}
wait_for "$work/console.log" 'ephemera-init: .* starting ephemera-agent' "the agent to start"
t_agent=$(ms)
log "agent started $((t_agent - t_boot)) ms after qemu"
grep -aq 'TPM: /dev/tpmrm0' "$work/console.log" || fail "the guest has no /dev/tpmrm0"
wait_for "$work/broker/broker.log" 'agent registered' "the agent to enrol"
wait_for "$work/broker/broker.log" 'attestation accepted' "an accepted attestation"
t_att=$(ms)
log "first attestation accepted $((t_att - t_boot)) ms after qemu ($((t_att - t_agent)) ms after the agent started)"
agent_id=$(grep -ao 'agent registered: [0-9a-f-]*' "$work/broker/broker.log" | head -n 1 | sed 's/.*: //')
[ -n "$agent_id" ] || fail "no agent id in the broker log"

list=$("$ctl_bin" --broker "https://127.0.0.1:$port" --pin "$pin" agents list 2>&1) ||
	fail "ephemeractl agents list: $list"
printf '%s\n' "$list" | grep -q -- "$agent_id" || fail "agent $agent_id not in: $list"
printf '%s\n' "$list" | grep -q 'selftest-guest' || fail "hostname selftest-guest not in: $list"
log "ephemeractl agents list shows $agent_id (selftest-guest)"

# --- 6. the ttyS1 shell: event log present, a PCR extend, the PCR read back ----
sh1() { python3 "$here/guest-shell.py" "$work/ttyS1.sock" "$1" --timeout 60; }
ev=$(sh1 'ls /sys/kernel/security/tpm0/binary_bios_measurements') ||
	fail "the guest has no firmware event log: $ev"
digest=$(printf 'ephemera selftest drift' | sha256sum | cut -d' ' -f1)
expect=$(python3 -c 'import hashlib,sys; print(hashlib.sha256(bytes(32) + bytes.fromhex(sys.argv[1])).hexdigest())' "$digest")
out=$(sh1 "tpm2_pcrextend 15:sha256=$digest && tpm2_pcrread sha256:15") ||
	fail "tpm2_pcrextend in the guest: $out"
printf '%s\n' "$out" | tr 'A-F' 'a-f' | grep -q "15: 0x$expect" ||
	fail "PCR 15 after the extend is not sha256(0^32 || d) = $expect: $out"
log "ttyS1 shell: tpm2_pcrextend 15 done, PCR 15 = $expect"

# --- 6b. what the firmware measured: the log comes back through the shell;
# OVMF (through the kernel's EFI stub) records the SHA-256 of the exact
# initrd qemu was given (PCR 9), SeaBIOS does not measure it at all ---------
sh1 'base64 /sys/kernel/security/tpm0/binary_bios_measurements' >"$work/eventlog.b64" ||
	fail "cannot read the event log through the ttyS1 shell"
python3 - "$work/eventlog.b64" "$work/initrd" "$ovmf" <<'PY' || fail "event log check (above)"
import base64, hashlib, sys
log = base64.b64decode("".join(l.strip() for l in open(sys.argv[1]) if l.strip()))
initrd = hashlib.sha256(open(sys.argv[2], "rb").read()).digest()
ovmf = sys.argv[3] == "1"
found = initrd in log
print("selftest.sh: event log %d bytes; SHA-256 of the VM's initrd %s in it" %
      (len(log), "is" if found else "is not"))
if found != ovmf:
    print("selftest.sh: expected it %s with %s" % ("in" if ovmf else "not in",
          "OVMF" if ovmf else "SeaBIOS"))
    sys.exit(1)
PY

# --- 7. a later round still reaches the broker (a new connection through the
# guestfwd relay) and is accepted --------------------------------------------
n0=$(grep -ac 'attestation accepted' "$work/broker/broker.log")
while [ "$(grep -ac 'attestation accepted' "$work/broker/broker.log")" -le "$n0" ]; do
	kill -0 "$qemu_pid" 2>/dev/null || fail "qemu exited"
	# No reference values are configured: nothing may be refused.
	grep -aq 'refused' "$work/broker/broker.log" &&
		fail "the broker refused an attestation: $(grep -a -m 1 'refused' "$work/broker/broker.log")"
	sleep 0.2
done
log "re-attestation after the extend: $(grep -a 'attestation' "$work/broker/broker.log" | tail -n 1 | cut -c 22-)"

# --- 8. the broker stops cleanly; no sanitizer report from it or the agent ---------
kill -TERM "$broker_pid" 2>/dev/null
for _ in $(seq 1 50); do kill -0 "$broker_pid" 2>/dev/null || break; sleep 0.1; done
wait "$broker_pid" 2>/dev/null
rc=$?
broker_pid=""
[ "$rc" = 0 ] || fail "the broker exited with status $rc on SIGTERM"
if grep -aq 'Sanitizer' "$work/broker/broker.log" "$work/console.log"; then
	fail "sanitizer report: $(grep -a -m 3 'Sanitizer' "$work/broker/broker.log" "$work/console.log")"
fi

failed=0
echo "$prog: PASS: boot-to-agent $((t_agent - t_boot)) ms, boot-to-attested $((t_att - t_boot)) ms ($accel, $([ "$ovmf" = 1 ] && echo OVMF || echo SeaBIOS)), total $(($(ms) - t_begin)) ms"
exit 0
