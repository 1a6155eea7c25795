#!/usr/bin/env bash
# selftest.sh - check the swtpm fixtures end to end (ctest label: swtpm).
#
# Usage: selftest.sh EPHEMERA_EVENTLOG
#
# In a mktemp folder: two TPMs sharing one CA (B with --ecc); their EK certs
# (RSA 2048, ECC P-384, and B's ECC P-256)
# verify with openssl against the exported bundle, and not against another
# CA's; firmware-boot.sh on one, whose log replays (ephemera-eventlog, and
# tpm2_eventlog) to exactly the TPM's PCRs 0-8; --tamper on the other, where
# PCR 8 and only PCR 8 differs; both torn down with --wipe and no swtpm of
# ours left. The trap tears down on failure and interruption too.
# Prints "selftest: N passed, M failed"; exit 0 only if M is 0.
set -uo pipefail

here=$(cd -- "$(dirname -- "$0")" && pwd -P)
if [ $# -ne 1 ] || [ ! -x "$1" ]; then
	echo "usage: ${0##*/} PATH-TO-ephemera-eventlog" >&2
	exit 2
fi
evlog=$1
command -v swtpm >/dev/null 2>&1 || { echo "selftest: swtpm not installed (apt-get install -y swtpm swtpm-tools)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/swtpm-selftest.XXXXXX")
cleanup() {
	"$here/swtpm-down.sh" --wipe "$tmp/tpm-a" >/dev/null 2>&1
	"$here/swtpm-down.sh" --wipe "$tmp/tpm-b" >/dev/null 2>&1
	# Last resort, by pid: only a swtpm whose state is under our folder.
	local pid
	for pid in $(pgrep -f "swtpm socket .*dir=$tmp/" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
	rm -rf -- "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   - $1"; }
bad() { failed=$((failed + 1)); echo "FAIL - $1" >&2; }
# check NAME COMMAND...: run COMMAND, count it.
check() {
	local name=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then ok "$name"; else bad "$name"; sed 's/^/    /' "$tmp/out" >&2; fi
}
# expect NAME TEST...: count a test expression ([ ], [[ ]] or a command).
expect() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}
# PCR values as "bank index hex" lines from tpm2_pcrread or a pcrs: section
# (standard input).
pcrs_norm() {
	awk '/^ *sha(1|256):/ { b = $1; sub(":", "", b); next }
	     /^ *[0-9]+ *: *0x/ { v = $NF; sub(/^0x/, "", v); print b, $1 + 0, tolower(v) }'
}
pcrread() {
	TPM2TOOLS_TCTI=$1 tpm2_pcrread sha1:0,1,2,3,4,5,6,7,8+sha256:0,1,2,3,4,5,6,7,8 | pcrs_norm
}

# --- two TPMs, one CA ---------------------------------------------------------
tcti_a=$("$here/swtpm-up.sh" --ca "$tmp/ca" "$tmp/tpm-a" 2>"$tmp/up-a.err")
if [[ $tcti_a =~ ^swtpm:host=127\.0\.0\.1,port=[0-9]+$ ]] && [ -s "$tmp/tpm-a/env" ]; then
	ok "swtpm-up.sh A prints $tcti_a"
else
	bad "swtpm-up.sh A"
	cat "$tmp/up-a.err" >&2
fi
tcti_b=$("$here/swtpm-up.sh" --ecc --ca "$tmp/ca" "$tmp/tpm-b" 2>"$tmp/up-b.err")
if [[ $tcti_b =~ ^swtpm:host=127\.0\.0\.1,port=[0-9]+$ ]] && [ "$tcti_a" != "$tcti_b" ]; then
	ok "swtpm-up.sh --ecc B prints $tcti_b"
else
	bad "swtpm-up.sh B"
	cat "$tmp/up-b.err" >&2
fi
again=$("$here/swtpm-up.sh" --ca "$tmp/ca" "$tmp/tpm-a" 2>/dev/null)
expect "swtpm-up.sh on a running fixture prints its TCTI (got '$again')" [ "$again" = "$tcti_a" ]

# --- EK certs chain to the exported bundle -------------------------------------
check "swtpm-ca.sh exports the bundle" "$here/swtpm-ca.sh" "$tmp/ca" "$tmp/trust"
check "a second CA for the negative check" "$here/swtpm-ca.sh" --create "$tmp/ca2"
check "exporting it" "$here/swtpm-ca.sh" "$tmp/ca2" "$tmp/trust2"
for t in a b; do
	eval "tcti=\$tcti_$t"
	nvs="0x01c00002 0x01c00016"
	[ "$t" = a ] || nvs="$nvs 0x01c0000a" # B has the --ecc P-256 EK cert too
	for nv in $nvs; do
		der=$tmp/ek-$t-$nv.der
		# shellcheck disable=SC2154 # tcti is set by the eval above
		if ! TPM2TOOLS_TCTI=$tcti tpm2_nvread "$nv" -o "$der" >/dev/null 2>&1; then
			bad "read EK cert $nv of TPM $t"
			continue
		fi
		check "EK cert $nv of TPM $t verifies against the bundle" \
			openssl verify -CAfile "$tmp/trust/swtpm-ca-root.pem" \
			-untrusted "$tmp/trust/swtpm-ca-issuer.pem" "$der"
		if openssl verify -CAfile "$tmp/trust2/swtpm-ca-root.pem" \
			-untrusted "$tmp/trust2/swtpm-ca-issuer.pem" "$der" >/dev/null 2>&1; then
			bad "EK cert $nv of TPM $t verified against another CA"
		else
			ok "EK cert $nv of TPM $t fails against another CA"
		fi
	done
done

# --- firmware boot: the log replays to the TPM's PCRs ---------------------------
check "firmware-boot.sh A" "$here/firmware-boot.sh" "$tmp/tpm-a" "$tmp/a.log"
pcrread "$tcti_a" >"$tmp/a.pcrs"
if [ "$(wc -l <"$tmp/a.pcrs")" -eq 18 ] && ! grep -q ' 0\{40\}$' "$tmp/a.pcrs"; then
	ok "PCRs 0-8 of A were extended in both banks"
else
	bad "PCRs 0-8 of A were not all extended"
fi
"$evlog" --pcrs-only "$tmp/a.log" | pcrs_norm | grep -E '^sha(1|256) [0-8] ' >"$tmp/a.replay08"
check "ephemera-eventlog replay of A equals tpm2_pcrread" diff "$tmp/a.pcrs" "$tmp/a.replay08"
TPM2TOOLS_TCTI=$tcti_a tpm2_pcrread sha1:0,1,2,3,4,5,6,7,8+sha256:0,1,2,3,4,5,6,7,8 >"$tmp/a.pcrread.yaml"
check "ephemera-eventlog --compare accepts A" "$evlog" --compare="$tmp/a.pcrread.yaml" "$tmp/a.log"
if command -v tpm2_eventlog >/dev/null 2>&1; then
	tpm2_eventlog "$tmp/a.log" | sed -n '/^pcrs:/,$p' | pcrs_norm |
		grep -E '^sha(1|256) [0-8] ' >"$tmp/a.tpm2replay"
	check "tpm2_eventlog replay of A equals tpm2_pcrread" diff "$tmp/a.pcrs" "$tmp/a.tpm2replay"
fi
if "$here/firmware-boot.sh" "$tmp/tpm-a" "$tmp/a2.log" >/dev/null 2>&1; then
	bad "firmware-boot.sh accepted an already booted TPM"
else
	ok "firmware-boot.sh refuses an already booted TPM"
fi

# --- tampered log: only PCR 8 disagrees ----------------------------------------
check "firmware-boot.sh --tamper B" "$here/firmware-boot.sh" --tamper "$tmp/tpm-b" "$tmp/b.log"
pcrread "$tcti_b" >"$tmp/b.pcrs"
"$evlog" --pcrs-only "$tmp/b.log" | pcrs_norm | grep -E '^sha(1|256) [0-8] ' >"$tmp/b.replay08"
diff "$tmp/b.pcrs" "$tmp/b.replay08" | grep '^[<>]' | awk '{print $2, $3}' | sort -u >"$tmp/b.diff"
expect "tampered log: PCR 8 (both banks) and nothing else differs (got: $(tr '\n' ';' <"$tmp/b.diff"))" \
	[ "$(tr '\n' ';' <"$tmp/b.diff")" = "sha1 8;sha256 8;" ]
TPM2TOOLS_TCTI=$tcti_b tpm2_pcrread sha1:0,1,2,3,4,5,6,7,8+sha256:0,1,2,3,4,5,6,7,8 >"$tmp/b.pcrread.yaml"
"$evlog" --compare="$tmp/b.pcrread.yaml" "$tmp/b.log" >/dev/null 2>&1
rc=$?
expect "ephemera-eventlog --compare rejects B (exit $rc, want 4)" [ "$rc" -eq 4 ]

# --- teardown --------------------------------------------------------------------
check "swtpm-down.sh --wipe A" "$here/swtpm-down.sh" --wipe "$tmp/tpm-a"
check "swtpm-down.sh --wipe B" "$here/swtpm-down.sh" --wipe "$tmp/tpm-b"
check "swtpm-down.sh again is a no-op" "$here/swtpm-down.sh" --wipe "$tmp/tpm-a"
if [ ! -e "$tmp/tpm-a" ] && [ ! -e "$tmp/tpm-b" ] && [ -s "$tmp/ca/issuercert.pem" ]; then
	ok "state folders wiped, CA kept"
else
	bad "wipe removed the wrong things"
fi
if pgrep -f "swtpm socket .*dir=$tmp/" >/dev/null 2>&1; then
	bad "a swtpm of ours is still running: $(pgrep -af "swtpm socket .*dir=$tmp/")"
else
	ok "no swtpm of ours left"
fi

echo "selftest: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
