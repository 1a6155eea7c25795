#!/usr/bin/env bash
# demo.sh BUILD_DIR - the main job at this stage of Ephemera: parse and
# replay a TCG firmware event log and an IMA measurement list, print the
# events and the PCRs they produce, then show a verifier refusing a
# tampered copy. Called by `./run.sh demo`.
#
# Which log: this machine's own (/sys/kernel/security/...) when it has a TPM
# and the log is readable; else a real log from ../shared/vectors when that
# folder is beside the checkout; else a small log built into the tree
# (the fuzz seed corpus).
set -euo pipefail

build=${1:?usage: demo.sh BUILD_DIR}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cli="$build/firmware-eventlog/ephemera-eventlog"
vectors=$(realpath -m "${EPH_VECTORS:-$root/../shared/vectors}")
[ -x "$cli" ] || {
	echo "demo.sh: $cli not built" >&2
	exit 1
}

pick() { # first readable, non-empty file of the arguments
	local f
	for f in "$@"; do
		if [ -r "$f" ] && [ -s "$f" ]; then
			echo "$f"
			return 0
		fi
	done
	return 1
}

log=$(pick /sys/kernel/security/tpm0/binary_bios_measurements \
	"$vectors/eventlog/ubuntu-2104-no-secure-boot.bin" \
	"$root/tests/fuzz/corpora/evlog/agile-four-banks")
ima=$(pick /sys/kernel/security/ima/binary_runtime_measurements \
	"$vectors/ima/tpm2-tss/sml-ima-ng-sha1.bin" \
	"$root/tests/fuzz/corpora/ima/binary-ima-ng-sha1" || true)

echo "== firmware event log: $log"
"$cli" "$log" >"$build/demo-eventlog.yaml"
events=$(grep -c '^- EventNum:' "$build/demo-eventlog.yaml" || true)
echo "$events events parsed; first events and the replayed PCRs:"
sed -n '1,40p' "$build/demo-eventlog.yaml"
echo "  [...]"
sed -n '/^pcrs:/,$p' "$build/demo-eventlog.yaml"
echo "(full output: $build/demo-eventlog.yaml)"

if [ -n "$ima" ]; then
	echo
	echo "== IMA measurement list: $ima"
	"$cli" --ima "$ima" | tail -n 12
fi

echo
echo "== a tampered copy: one byte of the first measured event's digest flipped"
tampered="$build/demo-tampered.bin"
cp "$log" "$tampered"
u32le() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
if [ "$(u32le "$log" 4)" = 3 ]; then
	# Crypto-agile: skip the Spec ID header event (32 + eventSize bytes),
	# then pcrIndex, eventType, count and the first algorithm id.
	off=$((32 + $(u32le "$log" 28) + 14))
else
	off=8 # legacy: the SHA1 digest of the first event
fi
byte=$(od -An -tu1 -j "$off" -N1 "$tampered" | tr -d ' ')
printf "$(printf '\\%03o' $(((byte + 1) % 256)))" |
	dd of="$tampered" bs=1 seek="$off" conv=notrunc status=none
"$cli" --pcrs-only "$log" >"$build/demo-original.yaml"
if "$cli" --pcrs-only "$tampered" >"$build/demo-tampered.yaml" 2>"$build/demo-tampered.err"; then
	echo "byte $off changed; the replayed PCRs no longer match what the TPM would quote:"
	diff "$build/demo-original.yaml" "$build/demo-tampered.yaml" | grep '^[<>]' | head -n 4 || true
else
	echo "refused: $(cat "$build/demo-tampered.err")"
fi
